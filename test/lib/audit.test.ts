import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {writeAudit} from '../../src/lib/audit.js'
import {useTempDir} from '../support/forge-sandbox.js'

describe('audit log rotation', () => {
  const tmp = useTempDir('dispatch-audit-')

  it('rotates once when several dispatches find the file full at the same moment: no generation is lost', async () => {
    const file = path.join(tmp.dir, 'audit.jsonl')
    writeFileSync(file, 'A'.repeat(5000) + '\n')
    writeFileSync(`${file}.1`, 'B\n')
    writeFileSync(`${file}.2`, 'C\n')
    const entry = {command: 'headless', args: [], cwd: tmp.dir, outcome: 'ok', exit_code: 0}
    await Promise.all(Array.from({length: 6}, () => writeAudit(tmp.dir, entry, [], {maxBytes: 2000, keep: 3})))
    expect(readFileSync(`${file}.1`, 'utf8')).to.equal('A'.repeat(5000) + '\n')
    expect(readFileSync(`${file}.2`, 'utf8')).to.equal('B\n')
    expect(readFileSync(`${file}.3`, 'utf8')).to.equal('C\n')
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(6)
  })
})
