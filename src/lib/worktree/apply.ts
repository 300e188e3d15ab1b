/** Making the worktree a plan decided on: fetching origin, then `git worktree add`. */
import {chmodSync, existsSync, mkdirSync} from 'node:fs'
import path from 'node:path'

import {FailureError} from '../errors.js'
import {gitAt, gitFailure} from '../git.js'
import type {WorktreePlan} from './decide.js'
import {retryOnLock, withWorktreeLock} from './lock.js'
import {hasOrigin} from './read.js'

/** Fetch origin so new branches start from the freshest default branch. Best-effort: offline is fine. */
export async function fetchOrigin(checkout: string, timeoutMs = 15_000): Promise<void> {
  try {
    if (!(await hasOrigin(checkout))) return
    const git = await gitAt(checkout, {timeoutMs})
    await retryOnLock(() => git.raw(['fetch', '--quiet', '--no-tags', 'origin']))
  } catch {
    // The local origin/<default> is used as it is.
  }
}

/** Make the worktree a plan decided on: nothing for reuse and in-place, else `git worktree add` (after pruning stale entries). */
export async function applyWorktree(checkout: string, plan: WorktreePlan): Promise<void> {
  if (plan.action === 'reuse' || plan.action === 'in-place') return
  const git = await gitAt(checkout)
  try {
    await withWorktreeLock(checkout, async () => {
      await retryOnLock(() => git.raw(['worktree', 'prune']))
      if (existsSync(plan.path)) {
        throw new FailureError(`${plan.path} already exists but is not a worktree of ${checkout}.`, `Move it away (or run git worktree repair there) and dispatch again.`)
      }
      // 0700: a worktree gets the checkout's .env and the like (.worktreeinclude); others have no business in it.
      mkdirSync(path.dirname(plan.path), {recursive: true, mode: 0o700})
      if (plan.action === 'checkout') {
        await retryOnLock(() => git.raw(['worktree', 'add', plan.path, plan.branch]))
      } else {
        await retryOnLock(() => git.raw(['worktree', 'add', '--no-track', '-b', plan.branch, plan.path, plan.startPoint]))
      }
      chmodSync(plan.path, 0o700)
    })
  } catch (error) {
    if (error instanceof FailureError) throw error
    throw gitFailure('prepare the worktree', checkout, error)
  }
}
