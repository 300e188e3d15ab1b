import {existsSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {FailureError} from './errors.js'
import {gitAt, gitFailure, gitQuery, isLockError} from './git.js'
import {withLock} from './lock.js'
import {branchName, isIssueBranch, worktreePath} from './naming.js'

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

async function localIssueBranches(dir: string, number: number): Promise<string[]> {
  const out = await gitQuery(dir, ['for-each-ref', '--format=%(refname:short)', `refs/heads/dispatch/issue-${number}`, `refs/heads/dispatch/issue-${number}-*`])
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((b) => b && isIssueBranch(b, number))
}

export interface WorktreePlan {
  path: string
  branch: string
  defaultBranch: string
  startPoint: string
  /** reuse: an existing worktree; checkout: an existing branch in a new worktree; create: a new branch. */
  action: 'reuse' | 'checkout' | 'create' | 'in-place'
  /**
   * 1 for the issue's own worktree; 2, 3, … when an active worker already runs
   * in it and --force starts another (`issue-N-slug-2` on `dispatch/issue-N-slug-2`).
   */
  slot: number
}

export interface WorktreeRequest {
  checkout: string
  worktreeRoot: string
  owner: string
  repo: string
  number: number
  title: string
}

/** What the repository says about an issue's branches: read with git, no title needed. */
export interface BranchFacts {
  defaultBranch: {name: string; startPoint: string}
  worktrees: WorktreeEntry[]
  /** Local `dispatch/issue-<N>[-…]` branches. */
  branches: string[]
}

/** The three reads planWorktree decides on, as concurrent git processes in the checkout `dir`. */
export async function readBranchFacts(dir: string, number: number): Promise<BranchFacts> {
  const [def, worktrees, branches] = await Promise.all([defaultBranch(dir), listWorktrees(dir), localIssueBranches(dir, number)])
  return {defaultBranch: def, worktrees, branches}
}

/**
 * Decide what ensureWorktree would do from what the repository says. Pure apart
 * from checking that a worktree's path exists. `busy` holds the worktrees an
 * active worker runs in: one worker per worktree, so when the issue's own is
 * busy (a --force dispatch) the work goes to the smallest free slot,
 * `<name>-2`, `<name>-3`, … on `dispatch/<name>-2`, ….
 */
export function decideWorktree(req: WorktreeRequest, facts: BranchFacts, busy: readonly string[] = []): WorktreePlan {
  const first = firstSlot(req, facts)
  const taken = new Set(busy.map((p) => path.resolve(p)))
  if (!taken.has(path.resolve(first.path))) return first
  const name = path.basename(first.path)
  for (let slot = 2; ; slot++) {
    const target = path.join(path.dirname(first.path), `${name}-${slot}`)
    if (taken.has(path.resolve(target))) continue
    const at = facts.worktrees.find((w) => !w.prunable && path.resolve(w.path) === path.resolve(target))
    const branch = `dispatch/${name}-${slot}`
    const plan = {path: target, branch, defaultBranch: first.defaultBranch, startPoint: first.startPoint, slot}
    if (at?.branch) return {...plan, branch: at.branch, action: 'reuse'}
    // Something else is in the way (a stray directory, a detached worktree): try the next slot.
    if (at || existsSync(target)) continue
    return {...plan, action: facts.branches.includes(branch) ? 'checkout' : 'create'}
  }
}

/** The issue's own worktree: its existing one (even after the title changed), else a new one on its branch. */
function firstSlot(req: WorktreeRequest, facts: BranchFacts): WorktreePlan {
  const def = facts.defaultBranch
  const target = worktreePath(req.worktreeRoot, req.owner, req.repo, req.number, req.title)
  const wanted = branchName(req.number, req.title)
  // Shortest first: `issue-N-slug` before the `issue-N-slug-2` a forced dispatch made.
  const byLength = <T>(list: T[], key: (t: T) => string) => [...list].sort((a, b) => key(a).length - key(b).length)
  const mine = facts.worktrees.filter((w) => !w.prunable && w.branch && isIssueBranch(w.branch, req.number) && existsSync(w.path))
  const existing = mine.find((w) => path.resolve(w.path) === target) ?? byLength(mine, (w) => w.path)[0]
  if (existing) return {path: existing.path, branch: existing.branch!, defaultBranch: def.name, startPoint: def.startPoint, action: 'reuse', slot: 1}
  if (facts.branches.length > 0) {
    const branch = facts.branches.includes(wanted) ? wanted : byLength(facts.branches, (b) => b)[0]
    return {path: target, branch, defaultBranch: def.name, startPoint: def.startPoint, action: 'checkout', slot: 1}
  }
  return {path: target, branch: wanted, defaultBranch: def.name, startPoint: def.startPoint, action: 'create', slot: 1}
}

/** Decide what ensureWorktree would do, reading only. Used by --dry-run and by ensureWorktree. */
export async function planWorktree(req: WorktreeRequest, busy: readonly string[] = []): Promise<WorktreePlan> {
  return decideWorktree(req, await readBranchFacts(req.checkout, req.number), busy)
}

/** Does the repository at `dir` have a remote named origin? */
export async function hasOrigin(dir: string): Promise<boolean> {
  return (await gitQuery(dir, ['remote']).catch(() => '')).split('\n').includes('origin')
}

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

/**
 * Give the issue its own worktree and branch (SPEC §4): reuse an existing
 * worktree, check out an existing branch as it is (never reset), or create a
 * new branch from the freshest default branch (fetching origin best-effort).
 * NOTE: concurrent dispatches into one repo contend for git's lock files;
 * callers serialise per repo and every step retries on a lock error.
 */
export async function ensureWorktree(req: WorktreeRequest, opts: {fetch?: boolean; fetchTimeoutMs?: number; busy?: readonly string[]} = {}): Promise<WorktreePlan> {
  try {
    if (opts.fetch !== false) await fetchOrigin(req.checkout, opts.fetchTimeoutMs)
    const plan = await planWorktree(req, opts.busy)
    await applyWorktree(req.checkout, plan)
    return plan
  } catch (error) {
    if (error instanceof FailureError) throw error
    throw gitFailure('prepare the worktree', req.checkout, error)
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
      mkdirSync(path.dirname(plan.path), {recursive: true, mode: 0o755})
      if (plan.action === 'checkout') {
        await retryOnLock(() => git.raw(['worktree', 'add', plan.path, plan.branch]))
      } else {
        await retryOnLock(() => git.raw(['worktree', 'add', '--no-track', '-b', plan.branch, plan.path, plan.startPoint]))
      }
    })
  } catch (error) {
    if (error instanceof FailureError) throw error
    throw gitFailure('prepare the worktree', checkout, error)
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
