import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {FailureError} from './errors.js'

/**
 * Run `fn` while holding an inter-process lock named by `lockPath`
 * (a directory created next to it by proper-lockfile). Waits up to ~30 s.
 * NOTE: a lock held by a process that died (kill -9) is taken over once it is
 * 5 s stale; the holder refreshes it every second.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const {default: lockfile} = await import('proper-lockfile')
  await mkdir(path.dirname(lockPath), {recursive: true, mode: 0o700})
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(lockPath, {
      realpath: false,
      // A dispatch killed while holding the lock blocks others for at most `stale` ms.
      stale: 5000,
      update: 1000,
      retries: {retries: 300, minTimeout: 10, maxTimeout: 100, factor: 1.3},
    })
  } catch (error) {
    throw new FailureError(`Could not take the lock ${lockPath}.lock: ${(error as Error).message}.`, 'If no other dispatch is running, remove that directory.')
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}
