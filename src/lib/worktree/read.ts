/** The git reads a worktree decision needs. */
import {FailureError} from '../errors.js'
import {gitQuery} from '../git.js'
import {isIssueBranch} from '../naming.js'

export interface WorktreeEntry {
  path: string
  /** Short branch name, undefined when detached. */
  branch?: string
  prunable: boolean
}

/** Parse `git worktree list --porcelain`. Pure. */
export function parseWorktreeList(text: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = []
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter(Boolean)
    const wt = lines.find((l) => l.startsWith('worktree '))
    if (!wt) continue
    const branch = lines.find((l) => l.startsWith('branch '))
    entries.push({
      path: wt.slice('worktree '.length),
      branch: branch ? branch.slice('branch '.length).replace(/^refs\/heads\//, '') : undefined,
      prunable: lines.some((l) => l.startsWith('prunable')),
    })
  }
  return entries
}

/**
 * The repository's default branch, read from the repo (never assumed to be
 * `main`): origin/HEAD when set, else the branch the main checkout is on.
 */
export async function defaultBranch(dir: string): Promise<{name: string; startPoint: string}> {
  const originHead = await gitQuery(dir, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']).catch(() => '')
  if (originHead.startsWith('origin/')) {
    const name = originHead.slice('origin/'.length)
    return {name, startPoint: `origin/${name}`}
  }
  const name = await gitQuery(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')
  if (name) {
    const remote = await gitQuery(dir, ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${name}`]).catch(() => '')
    return {name, startPoint: remote ? `origin/${name}` : name}
  }
  throw new FailureError('Could not tell the default branch: origin/HEAD is not set and the checkout is on a detached HEAD.', 'Run `git remote set-head origin --auto`, or check out the default branch in the checkout.')
}

export async function listWorktrees(dir: string): Promise<WorktreeEntry[]> {
  return parseWorktreeList(await gitQuery(dir, ['worktree', 'list', '--porcelain']))
}

/** The issue's `dispatch/issue-<N>[-…]` branches, local and on origin, in one git call. */
async function issueBranches(dir: string, number: number): Promise<{local: string[]; remote: string[]}> {
  const patterns = ['refs/heads/', 'refs/remotes/origin/'].flatMap((at) => [`${at}dispatch/issue-${number}`, `${at}dispatch/issue-${number}-*`])
  const out = await gitQuery(dir, ['for-each-ref', '--format=%(refname)', ...patterns])
  const local: string[] = []
  const remote: string[] = []
  for (const ref of out.split('\n').map((l) => l.trim())) {
    if (ref.startsWith('refs/heads/') && isIssueBranch(ref.slice(11), number)) local.push(ref.slice(11))
    else if (ref.startsWith('refs/remotes/origin/') && isIssueBranch(ref.slice(20), number)) remote.push(ref.slice(20))
  }
  return {local, remote}
}

/** What the repository says about an issue's branches: read with git, no title needed. */
export interface BranchFacts {
  defaultBranch: {name: string; startPoint: string}
  worktrees: WorktreeEntry[]
  /** Local `dispatch/issue-<N>[-…]` branches. */
  branches: string[]
  /** The same on origin (names without `origin/`): pushed work a new worktree continues from. */
  remoteBranches?: string[]
}

/** The three reads decideWorktree decides on, as concurrent git processes in the checkout `dir`. */
export async function readBranchFacts(dir: string, number: number): Promise<BranchFacts> {
  const [def, worktrees, branches] = await Promise.all([defaultBranch(dir), listWorktrees(dir), issueBranches(dir, number)])
  return {defaultBranch: def, worktrees, branches: branches.local, remoteBranches: branches.remote}
}

/** Does the repository at `dir` have a remote named origin? */
export async function hasOrigin(dir: string): Promise<boolean> {
  return (await gitQuery(dir, ['remote']).catch(() => '')).split('\n').includes('origin')
}
