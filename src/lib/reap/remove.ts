/** Reap's one effect: removing a worktree the rules let go, with its branch. */
import {gitAt} from '../git.js'
import {retryOnLock, withWorktreeLock} from '../worktree/index.js'

/**
 * Remove `dir` from `mainDir`'s worktrees, delete `branch` when it is a local
 * branch, and prune git's metadata, under the worktree lock.
 */
export async function removeWorktree(mainDir: string, dir: string, branch: string | null, localBranches: Set<string>): Promise<void> {
  const git = await gitAt(mainDir)
  await withWorktreeLock(mainDir, async () => {
    // Without --force, git itself refuses a worktree that became dirty since we looked.
    await retryOnLock(() => git.raw(['worktree', 'remove', dir]))
    // -D: every commit on it was just shown reachable from the default branch or a remote branch, or landed through its merged pull request.
    if (branch && localBranches.has(branch)) await retryOnLock(() => git.raw(['branch', '-D', branch]))
    await retryOnLock(() => git.raw(['worktree', 'prune']))
  })
}
