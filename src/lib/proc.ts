import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

/**
 * A process's start time as an opaque string, used to tell a live worker from
 * an unrelated process that got the same pid later.
 * NOTE: pids are reused; a bare `kill(pid, 0)` is not proof of life.
 * On Linux this is field 22 of /proc/<pid>/stat (clock ticks since boot);
 * elsewhere `ps -o lstart=`.
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return fields[19]
    } catch {
      return undefined
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    return out || undefined
  } catch {
    return undefined
  }
}

/** Is the pid alive at all (zombies count as gone on Linux)? */
export function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      return state !== 'Z' && state !== 'X'
    } catch {
      return false
    }
  }
  return true
}

/** Alive and the same process we recorded (start time matches when we know it). */
export function isSameProcessAlive(pid: number, startTime: string | null | undefined): boolean {
  if (!pidExists(pid)) return false
  if (!startTime) return true
  return processStartTime(pid) === startTime
}
