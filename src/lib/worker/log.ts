/**
 * The one reader of worker logs by byte offset: what a log gained since an
 * offset (health window, status --follow) and its last bytes (status tail,
 * start failures). A log that cannot be opened reads as empty.
 */
import {open} from 'node:fs/promises'

import {renderTail} from './stream/index.js'

/** Read what a log gained since `offset`. */
export async function readFrom(file: string, offset: number): Promise<{text: string; offset: number}> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch {
    return {text: '', offset}
  }
  try {
    const {size} = await handle.stat()
    if (size <= offset) return {text: '', offset}
    const buf = Buffer.alloc(size - offset)
    const {bytesRead} = await handle.read(buf, 0, buf.length, offset)
    return {text: buf.subarray(0, bytesRead).toString('utf8'), offset: offset + bytesRead}
  } finally {
    await handle.close()
  }
}

/** Read at most the last `maxBytes` of a log, and the size it had then (where following starts). */
export async function readLogTail(file: string | null, maxBytes = 512 * 1024): Promise<{text: string; size: number}> {
  if (!file) return {text: '', size: 0}
  try {
    const handle = await open(file, 'r')
    try {
      const {size} = await handle.stat()
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
