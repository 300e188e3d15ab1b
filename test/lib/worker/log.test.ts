import {expect} from 'chai'
import {appendFileSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {readFrom, readLogTail} from '../../../src/lib/worker/log.js'

describe('worker log: reading by byte offset', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'log-'))
  const file = path.join(dir, 'w.log')

  it('reads what the log gained since an offset, and where it now ends', async () => {
    writeFileSync(file, 'one\n')
    const first = await readFrom(file, 0)
    expect(first).to.deep.equal({text: 'one\n', offset: 4})
    expect(await readFrom(file, first.offset)).to.deep.equal({text: '', offset: 4})
    appendFileSync(file, 'twö\n')
    expect(await readFrom(file, first.offset)).to.deep.equal({text: 'twö\n', offset: 9})
  })

  const tails: Array<[string, string, number, {text: string; size: number}]> = [
    ['a small log whole', 'a\nb\n', 1024, {text: 'a\nb\n', size: 4}],
    ['a long log from its first whole line within the bound', 'aaaa\nbb\ncc\n', 6, {text: 'cc\n', size: 11}],
    ['a log without a newline in the bound keeps the start', 'x\nyy', 10, {text: 'x\nyy', size: 4}],
  ]
  for (const [title, content, max, want] of tails)
    it(`last bytes: ${title}`, async () => {
      writeFileSync(file, content)
      expect(await readLogTail(file, max)).to.deep.equal(want)
    })

  it('a missing log or none reads as empty', async () => {
    expect(await readFrom(path.join(dir, 'nope'), 5)).to.deep.equal({text: '', offset: 5})
    expect(await readLogTail(path.join(dir, 'nope'))).to.deep.equal({text: '', size: 0})
    expect(await readLogTail(null)).to.deep.equal({text: '', size: 0})
  })
})
