import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {appendFileSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {MAX_READ_BYTES, readFrom, readLogTail} from '../../../src/lib/worker/log.js'

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

  it('a character split across two reads is not garbled: the partial bytes wait for the next read', async () => {
    const euro = Buffer.from('€\n') // e2 82 ac 0a
    writeFileSync(file, Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]))
    const first = await readFrom(file, 0)
    expect(first).to.deep.equal({text: 'a', offset: 1})
    appendFileSync(file, euro.subarray(2))
    expect(await readFrom(file, first.offset)).to.deep.equal({text: '€\n', offset: 5})
  })

  it('reads at most MAX_READ_BYTES at a time; the caller reads on from the offset', async () => {
    writeFileSync(file, Buffer.alloc(MAX_READ_BYTES + 10, 'x'))
    const first = await readFrom(file, 0)
    expect(first.offset).to.equal(MAX_READ_BYTES)
    expect(await readFrom(file, first.offset)).to.deep.equal({text: 'x'.repeat(10), offset: MAX_READ_BYTES + 10})
  })

  it('a FIFO (or anything but a file) in place of the log reads as empty instead of blocking', async () => {
    const fifo = path.join(dir, 'fifo.log')
    execFileSync('mkfifo', [fifo])
    expect(await readFrom(fifo, 0)).to.deep.equal({text: '', offset: 0})
    expect(await readLogTail(fifo)).to.deep.equal({text: '', size: 0})
    expect(await readLogTail(dir)).to.deep.equal({text: '', size: 0})
  })
})
