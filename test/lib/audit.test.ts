import {expect} from 'chai'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {writeAudit} from '../../src/lib/audit.js'

describe('audit log rotation', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-audit-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('rotates once when several dispatches find the file full at the same moment: no generation is lost', async () => {
    const file = path.join(dir, 'audit.jsonl')
    writeFileSync(file, 'A'.repeat(5000) + '\n')
    writeFileSync(`${file}.1`, 'B\n')
    writeFileSync(`${file}.2`, 'C\n')
    const entry = {command: 'headless', args: [], cwd: dir, outcome: 'ok', exit_code: 0}
    await Promise.all(Array.from({length: 6}, () => writeAudit(dir, entry, [], {maxBytes: 2000, keep: 3})))
    expect(readFileSync(`${file}.1`, 'utf8')).to.equal('A'.repeat(5000) + '\n')
    expect(readFileSync(`${file}.2`, 'utf8')).to.equal('B\n')
    expect(readFileSync(`${file}.3`, 'utf8')).to.equal('C\n')
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(6)
  })
})
