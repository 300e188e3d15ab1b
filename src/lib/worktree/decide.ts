/** Which worktree and branch an issue's worker gets: decided from the facts read.ts gathered. */
import {existsSync} from 'node:fs'
import path from 'node:path'

import {branchName, isIssueBranch, worktreePath} from '../naming.js'
import type {BranchFacts} from './read.js'

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

/**
 * Decide what applyWorktree will do from what the repository says. Pure apart
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
  // Only on origin (reap removed the local branch once it was pushed): continue from the pushed work.
  const remote = facts.remoteBranches ?? []
  if (remote.length > 0) {
    const branch = remote.includes(wanted) ? wanted : byLength(remote, (b) => b)[0]
    return {path: target, branch, defaultBranch: def.name, startPoint: `origin/${branch}`, action: 'create', slot: 1}
  }
  return {path: target, branch: wanted, defaultBranch: def.name, startPoint: def.startPoint, action: 'create', slot: 1}
}
