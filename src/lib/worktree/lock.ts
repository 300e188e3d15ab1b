/** Serialising changes to a repository's worktrees, against other dispatches and git's own lock files. */
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {gitQuery, isLockError} from '../git.js'
import {withLock} from '../lock.js'

/** Run a git step, retrying while another process holds one of git's lock files. */
export async function retryOnLock<T>(fn: () => Promise<T>, attempts = 40): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn()
    } catch (error) {
      if (i >= attempts - 1 || !isLockError(error)) throw error
      await delay(25 + Math.floor(Math.random() * 75))
    }
  }
}

/**
 * Run `fn` while no other dispatch or reap changes this repository's worktrees.
 * NOTE: git's own locks do not cover this: a `worktree prune` that runs while
 * another `worktree add` is half done removes the new entry's metadata
 * ("failed to read .git/worktrees/…/commondir"). The lock lives in the
 * repository's common git directory, shared by the checkout and its worktrees.
 */
export async function withWorktreeLock<T>(checkout: string, fn: () => Promise<T>): Promise<T> {
  const common = path.resolve(checkout, await gitQuery(checkout, ['rev-parse', '--git-common-dir']))
  return withLock(path.join(common, 'dispatch-worktrees'), fn)
}
