import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {FailureError} from './errors.js'

/** The lock every dispatch takes to check and register workers (and reap, to remove a worktree nobody may be taking). */
export function dispatchLockPath(stateDir: string): string {
  return path.join(stateDir, 'locks', 'dispatch')
}

export interface LockOptions {
  /** Told when our hold lapsed (see withLock); default: ignored. */
  onLapse?: (error: Error) => void
}

/**
 * Run `fn` while holding an inter-process lock named by `lockPath`: the
 * directory `<lockPath>.lock`, made by proper-lockfile (the same lock Claude
 * Code takes on its config file). Waits up to ~90 s:
 * twenty dispatches started at once queue here, one after the other.
 * NOTE: a lock held by a process that died (kill -9) is taken over once it is
 * 10 s old; the holder refreshes it every second. On a machine so
 * loaded that a holder cannot refresh it within 10 s, proper-lockfile
 * declares the hold lapsed and by default throws from a timer, which would
 * crash dispatch halfway through its work. We finish the work instead (it
 * is already under way) and tell the caller through onLapse.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const {default: lockfile} = await import('proper-lockfile')
  const lockDir = `${lockPath}.lock`
  await mkdir(path.dirname(lockDir), {recursive: true, mode: 0o700})
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(lockPath, {
      realpath: false,
      lockfilePath: lockDir,
      // A dispatch killed while holding the lock blocks others for at most `stale` ms.
      // 10 s, as Claude Code uses for its own lock: a shorter threshold could break into its live hold.
      stale: 10_000,
      update: 1000,
      retries: {retries: 900, minTimeout: 10, maxTimeout: 100, factor: 1.3},
      onCompromised: (error) => opts.onLapse?.(error),
    })
  } catch (error) {
    throw new FailureError(`Could not take the lock ${lockDir}: ${(error as Error).message}.`, 'If no other dispatch or Claude session is running, remove that directory.')
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}
