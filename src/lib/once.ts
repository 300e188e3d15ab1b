import {mkdirSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

const DAY_MS = 86_400_000

/**
 * Say `message` at most once per `everyMs` for `key`: a reminder that is
 * printed on every command stops being read. The last time lives in the
 * mtime of `<dir>/<key>`, in the cache directory: a reminder is no state, and
 * --dry-run promises to leave the state directory alone. Best-effort: when
 * the directory can't be written the message is simply shown.
 */
export function remindOnce(dir: string, key: string, message: string, warn: (m: string) => void, now = new Date(), everyMs = DAY_MS): void {
  const file = path.join(dir, key.replace(/[^A-Za-z0-9._-]/g, '_'))
  try {
    if (now.getTime() - statSync(file).mtimeMs < everyMs) return
  } catch {
    // Never said yet.
  }
  warn(message)
  try {
    mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
    writeFileSync(file, '', {mode: 0o600})
    utimesSync(file, now, now)
  } catch {
    // Best-effort: the reminder repeats next time.
  }
}
