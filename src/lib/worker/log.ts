/**
 * The one reader of worker logs by byte offset: what a log gained since an
 * offset (health window, status --follow) and its last bytes (status tail,
 * start failures). A log that cannot be opened, or is not a regular file (a
 * FIFO planted where a record says the log is would block a plain open),
 * reads as empty.
 */
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'

import {renderTail} from './stream/index.js'

/** The most one read returns; a caller that follows a log reads on from the returned offset. */
export const MAX_READ_BYTES = 4 * 1024 * 1024

/** Open a log for reading without blocking on a FIFO; undefined unless it is a regular file. */
async function openLog(file: string): Promise<{handle: FileHandle; size: number} | undefined> {
  let handle: FileHandle
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  const stat = await handle.stat().catch(() => undefined)
  if (stat?.isFile()) return {handle, size: stat.size}
  await handle.close()
  return undefined
}

/**
 * How many bytes of `buf` end on a whole UTF-8 character: the bytes of a
 * character the writer has not finished yet are left for the next read.
 */
export function wholeCharacters(buf: Buffer): number {
  const n = buf.length
  // Walk back over at most three continuation bytes to the lead byte.
  for (let i = n - 1; i >= Math.max(0, n - 4); i--) {
    const b = buf[i]
    if ((b & 0xc0) === 0x80) continue
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
    return i + need <= n ? n : i
  }
  return n
}

/** Read what a log gained since `offset` (at most MAX_READ_BYTES, ending on a whole character). */
export async function readFrom(file: string, offset: number): Promise<{text: string; offset: number}> {
  const log = await openLog(file)
  if (!log) return {text: '', offset}
  try {
    if (log.size <= offset) return {text: '', offset}
    const buf = Buffer.alloc(Math.min(log.size - offset, MAX_READ_BYTES))
    const {bytesRead} = await log.handle.read(buf, 0, buf.length, offset)
    const whole = wholeCharacters(buf.subarray(0, bytesRead))
    return {text: buf.subarray(0, whole).toString('utf8'), offset: offset + whole}
  } finally {
    await log.handle.close()
  }
}

/** Read at most the last `maxBytes` of a log, and the size it had then (where following starts). */
export async function readLogTail(file: string | null, maxBytes = 512 * 1024): Promise<{text: string; size: number}> {
  if (!file) return {text: '', size: 0}
  const log = await openLog(file)
  if (!log) return {text: '', size: 0}
  const {handle, size} = log
  try {
    try {
      const start = Math.max(0, size - maxBytes)
      const buf = Buffer.alloc(size - start)
      await handle.read(buf, 0, buf.length, start)
      const text = buf.toString('utf8')
      return {text: start > 0 ? text.slice(text.indexOf('\n') + 1) : text, size}
    } finally {
      await handle.close()
    }
  } catch {
    return {text: '', size: 0}
  }
}

/** The last lines of a worker's log, rendered for the terminal. */
export async function tailOf(file: string, n = 15): Promise<string[]> {
  const {text} = await readLogTail(file, 256 * 1024)
  return renderTail(text, n)
}
