import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {FailureError} from './errors.js'

export interface LockOptions {
  /** Where the lock directory goes; default `<lockPath>.lock`. */
  lockfilePath?: string
  /** A holder that stopped refreshing for this long is taken to be dead. */
  stale?: number
}

/**
 * Run `fn` while holding an inter-process lock named by `lockPath`
 * (a directory created next to it by proper-lockfile). Waits up to ~30 s.
 * NOTE: a lock held by a process that died (kill -9) is taken over once it is
 * `stale` ms old (default 5 s); the holder refreshes it every second.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const {default: lockfile} = await import('proper-lockfile')
  const lockDir = opts.lockfilePath ?? `${lockPath}.lock`
  await mkdir(path.dirname(lockDir), {recursive: true, mode: 0o700})
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(lockPath, {
      realpath: false,
      lockfilePath: lockDir,
      // A dispatch killed while holding the lock blocks others for at most `stale` ms.
      stale: opts.stale ?? 5000,
      update: 1000,
      retries: {retries: 300, minTimeout: 10, maxTimeout: 100, factor: 1.3},
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
