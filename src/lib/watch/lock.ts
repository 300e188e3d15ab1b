/**
 * One watch per state directory: `<stateDir>/watch.lock` names the pid (and
 * its start time, so a reused pid is not mistaken for the holder) of the
 * watch that holds it. The file is made with O_EXCL; a file whose holder is
 * gone (kill -9) is taken over, by one process at a time: the takeover runs
 * under `watch.lock.take`, itself made with O_EXCL. Held for the whole loop,
 * released on exit.
 */
import {readFileSync, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {PolicyError} from '../errors.js'
import {isSameProcessAlive, processStartTime} from '../proc.js'

interface Holder {
  pid: number
  start_time: string | null
  started_at: string
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>
    return Number.isInteger(h.pid) && (h.pid as number) > 0 ? (h as Holder) : undefined
  } catch {
    return undefined
  }
}

export function watchLockPath(stateDir: string): string {
  return path.join(stateDir, 'watch.lock')
}

/** A takeover guard nobody has written yet is given this long before it counts as left behind. */
const UNWRITTEN_GUARD_MS = 5000

/** Take the lock for this process, or refuse (exit 3) naming the watch that holds it. Returns the release. */
export function takeWatchLock(stateDir: string, now: Date): () => void {
  const file = watchLockPath(stateDir)
  const guard = `${file}.take`
  const me: Holder = {pid: process.pid, start_time: processStartTime(process.pid) ?? null, started_at: now.toISOString()}
  const body = JSON.stringify(me) + '\n'
  const refuseIfHeld = () => {
    const holder = readHolder(file)
    if (holder && holder.pid !== process.pid && isSameProcessAlive(holder.pid, holder.start_time)) {
      throw new PolicyError(
        `Another dispatch watch (pid ${holder.pid}, since ${holder.started_at}) already runs on the state directory ${stateDir}.`,
        `One watch carries every source; stop it first (kill ${holder.pid}), or give this one its own stateDir.`,
      )
    }
  }
  for (let tries = 0; tries < 400; tries++) {
    try {
      writeFileSync(file, body, {flag: 'wx', mode: 0o600})
      return () => release(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    refuseIfHeld()
    // The holder is gone (or the file is unreadable). Checking that and replacing the file is not one step: two
    // watches doing it at once both won. So one at a time, and the check again under the guard.
    if (!takeGuard(guard, body)) {
      pause(25)
      continue
    }
    try {
      refuseIfHeld()
      const tmp = `${file}.${process.pid}.tmp`
      writeFileSync(tmp, body, {mode: 0o600})
      renameSync(tmp, file)
      return () => release(file)
    } finally {
      release(guard)
    }
  }
  throw new PolicyError(`Could not take the watch lock ${file}: other watches keep taking it.`, 'Make sure only one dispatch watch runs on this state directory.')
}

/** Made with O_EXCL; one left by a process that died mid-takeover is removed, and the next try takes it. */
function takeGuard(guard: string, body: string): boolean {
  try {
    writeFileSync(guard, body, {flag: 'wx', mode: 0o600})
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const holder = readHolder(guard)
  const left = holder ? !isSameProcessAlive(holder.pid, holder.start_time) : Date.now() - (statSync(guard, {throwIfNoEntry: false})?.mtimeMs ?? Date.now()) > UNWRITTEN_GUARD_MS
  if (left) {
    try {
      unlinkSync(guard)
    } catch {}
  }
  return false
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function release(file: string): void {
  // Only our own lock: a watch that took over a lock we lost must keep it.
  if (readHolder(file)?.pid !== process.pid) return
  try {
    unlinkSync(file)
  } catch {}
}
