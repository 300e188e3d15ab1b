/**
 * Reap's decision: the facts about one worktree in, keep or remove out. Pure,
 * so the dry run and the real run cannot disagree.
 */
import {forgeVerdict, type ForgeReapFacts} from '../outcome/reap-rule.js'

/** What reap knows about one worktree: gathered with git, decided by {@link decideReap}. */
export interface WorktreeFacts extends ForgeReapFacts {
  /** The active worker running in it, if any. */
  activeWorker?: {pid: number; ref: string; job_id?: string | null}
  /** The main checkout's `git worktree list` knows it. */
  registered: boolean
  /** The main checkout, for messages. */
  checkout: string
  /** The branch checked out; null on a detached HEAD. */
  branch: string | null
  /** Uncommitted or untracked changes (`git status --porcelain`). */
  dirty: boolean
  /** Commits on HEAD or its branch reachable from neither the default branch nor a trusted remote branch. */
  unreachable: number
  /** The default branch's name, for messages. */
  defaultBranch: string
  /** Remote branches were refreshed (fetch --prune worked, or there is no origin); else only the default branch vouches. */
  remotesFresh: boolean
  /** Every commit is on the default branch (local or origin's). */
  merged: boolean
  /** A remote branch that holds HEAD, preferring origin/<branch>; undefined when none or not fresh. */
  onRemote?: string
  /** The branch was created and never moved: nothing to lose, but attach and a redispatch want it. */
  untouched: boolean
  /** Made so recently that a dispatch may still be starting its worker there. */
  justMade?: boolean
}

export interface ReapVerdict {
  verdict: 'remove' | 'keep'
  reason: string
  /** Set when the forge's rule decided (outcome/reap-rule.ts); git's rules otherwise. */
  rule?: 'forge'
}

const commits = (n: number) => `${n} commit${n === 1 ? '' : 's'}`

/**
 * Reap's rule (SPEC §10): remove a worktree only when nobody works in it, it
 * is clean, and every commit on it is reachable from the default branch or a
 * remote branch; anything else is kept, with the reason. Pure, so dry run and
 * real run cannot disagree. Rules run in order; a new way to vouch for the
 * commits (say, the forge reporting the pull request merged with this tip as
 * its head) goes after the dirty check and before the unreachable one.
 */
export function decideReap(f: WorktreeFacts): ReapVerdict {
  const keep = (reason: string): ReapVerdict => ({verdict: 'keep', reason})
  if (f.activeWorker) return keep(`active worker ${f.activeWorker.job_id ? `Slurm job ${f.activeWorker.job_id}` : `pid ${f.activeWorker.pid}`} (${f.activeWorker.ref})`)
  if (f.justMade) return keep('made moments ago: a dispatch may be starting its worker there')
  if (!f.registered) return keep(`not a worktree of ${f.checkout} (run git worktree prune there)`)
  if (f.branch && !f.branch.startsWith('dispatch/')) return keep('not a dispatch branch')
  if (f.dirty) return keep('uncommitted changes')
  const byForge = forgeVerdict(f)
  if (byForge) return byForge
  if (f.unreachable > 0) {
    const where = f.remotesFresh ? `not on ${f.defaultBranch} or any remote branch` : `not on ${f.defaultBranch} (origin could not be fetched, so other remote branches do not count)`
    return keep(`${f.branch ? '' : 'detached HEAD with '}${commits(f.unreachable)} ${where}`)
  }
  if (f.untouched) return keep('no commits on the branch yet')
  if (f.merged) return {verdict: 'remove', reason: `merged into ${f.defaultBranch}`}
  if (f.onRemote) return {verdict: 'remove', reason: `every commit is on ${f.onRemote}`}
  return {verdict: 'remove', reason: `every commit is on ${f.defaultBranch} or a remote branch`}
}
