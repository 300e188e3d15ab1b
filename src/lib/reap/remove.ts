/** Reap's one effect: removing a worktree the rules let go, with its branch. */
import {gitAt, type GitPlace} from '../git.js'
import {retryOnLock, withWorktreeLock} from '../worktree/index.js'

/**
 * Remove `dir` from `mainDir`'s worktrees, delete `branch` when it is a local
 * branch, and prune git's metadata, under the worktree lock.
 */
export async function removeWorktree(mainDir: string, place: GitPlace, branch: string | null, localBranches: Set<string>): Promise<void> {
  const dir = place.workTree
  // `worktree remove` runs status in the worktree: its drivers are pinned off too.
  const git = await gitAt(mainDir, {about: place})
  await withWorktreeLock(mainDir, async () => {
    // Without --force, git itself refuses a worktree that became dirty since we looked.
    await retryOnLock(() => git.raw(['worktree', 'remove', dir]))
    // -D: every commit on it was just shown reachable from the default branch or a remote branch, or landed through its merged pull request.
    if (branch && localBranches.has(branch)) await retryOnLock(() => git.raw(['branch', '-D', branch]))
    await retryOnLock(() => git.raw(['worktree', 'prune']))
  })
}
