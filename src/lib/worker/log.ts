import {open} from 'node:fs/promises'

import {renderTail} from './stream.js'

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

/** The last lines of a worker's log, rendered for the terminal. */
export async function tailOf(file: string, n = 15): Promise<string[]> {
  const {text} = await readFrom(file, 0)
  return renderTail(text.slice(-256 * 1024), n)
}
