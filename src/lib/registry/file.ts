/** Reading one record file without trusting what is at its path. */
import {closeSync, constants as fsConstants, fstatSync, openSync, readFileSync} from 'node:fs'

import {MAX_RECORD_BYTES, isRecord, normalise, type SidequestRecord} from './record.js'

const RECORD_OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK

/** One record file, or undefined (with a warning unless it vanished) when it can't be used. */
export function readRecordFile(file: string, uid: number | undefined, warn: (message: string) => void): SidequestRecord | undefined {
  let fd: number | undefined
  try {
    // NOTE: O_NOFOLLOW and O_NONBLOCK: a symlink (to /dev/zero, say) is refused and a
    // FIFO opens without waiting for a writer; fstat then says what it really is.
    fd = openSync(file, RECORD_OPEN_FLAGS)
    const st = fstatSync(fd)
    if (!st.isFile()) {
      warn(`warning: skipping ${file}: not a regular file; remove it if you did not put it there`)
      return undefined
    }
    if (st.size > MAX_RECORD_BYTES) {
      warn(`warning: skipping ${file}: ${st.size} bytes is far more than a record; remove it if you did not put it there`)
      return undefined
    }
    if (uid !== undefined && st.uid !== uid) {
      warn(`warning: skipping ${file}: owned by uid ${st.uid}, not you; remove it if you did not put it there`)
      return undefined
    }
    const parsed: unknown = JSON.parse(readFileSync(fd, 'utf8'))
    if (!isRecord(parsed)) {
      warn(`warning: skipping ${file}: not a sidequest record`)
      return undefined
    }
    return normalise(parsed)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP') warn(`warning: skipping ${file}: a symbolic link, not a record; remove it if you did not put it there`)
    else if (code !== 'ENOENT') warn(`warning: skipping corrupt record ${file}: ${(error as Error).message}`)
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
