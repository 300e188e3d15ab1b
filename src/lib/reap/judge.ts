/**
 * Reap's facts for one repository's worktrees: the repository's facts once,
 * the batched walks (batch.ts), and the per-worktree reads (facts.ts) for a
 * worktree the batch could not place. What index.ts decides on.
 */
import {realpathSync} from 'node:fs'
import path from 'node:path'

import type {GitPlace} from '../git.js'
import {finishFacts, walkFacts, type BatchItem} from './batch.js'
import {decideReap, type WorktreeFacts} from './decide.js'
import {detachedBranch, nothingKnown, repoFacts, worktreeFacts, type RepoFacts} from './facts.js'

/** One worktree on its way to a verdict: its facts so far (or why it is kept already). */
export interface Judged {
  dir: string
  /** Where its git data is, as the checkout vouches (git-place.ts). */
  place: GitPlace
  /** The branch that goes with the worktree (its own, or the one a detached one was made on). */
  branch: string | null
  /** Set when git already decided (not registered). */
  kept?: string
  /** The worktree's facts once finished (status where it matters); undefined for `kept`. */
  facts?: () => Promise<WorktreeFacts>
  /** HEAD and the branch's tip when the facts were read: a commit made after this keeps the worktree. */
  seen?: string
  repo?: RepoFacts
}

/** The repository's facts and every worktree's walk, in a few git processes; per-worktree reads when a batched one fails. */
export async function judgeRepo(mainDir: string, opts: {fetch: boolean; quiet: boolean}, worktrees: ReadonlyArray<{dir: string; place: GitPlace}>): Promise<Judged[]> {
  const repo = await repoFacts(mainDir, opts.fetch)
  const {quiet} = opts
  const judged: Judged[] = []
  const items: Array<BatchItem & {reportedBranch: string | null; at: number}> = []
  for (const {dir, place} of worktrees) {
    // NOTE: git records a worktree by its real path; worktreeRoot may lead there through a symlink.
    const at = realOrResolved(dir)
    const head = repo.heads.get(at)
    if (!repo.branches.has(at)) {
      judged.push({dir, place, branch: null, kept: decideReap({...nothingKnown(mainDir), registered: false}).reason})
      continue
    }
    const reported = repo.branches.get(at) ?? null
    const detachedFrom = reported ? null : detachedBranch(dir, repo)
    const branch = reported ?? detachedFrom
    const seen = `${head ?? ''} ${branch ? (repo.tips.get(branch) ?? '') : ''}`
    judged.push({dir, place, branch, seen, repo})
    if (head) items.push({dir, place, branch, head, reportedBranch: reported, at: judged.length - 1})
    else judged[judged.length - 1].facts = () => oneByOne(place, branch, reported, repo, mainDir)
  }
  const walks = await walkFacts(mainDir, repo, items).catch(() => undefined)
  for (const [k, item] of items.entries()) {
    const walk = walks?.[k]
    judged[item.at].facts = walk ? () => finishFacts(item, walk, repo, mainDir, quiet) : () => oneByOne(item.place, item.branch, item.reportedBranch, repo, mainDir)
  }
  return judged
}

/** The per-worktree reads (facts.ts), for a worktree the batch could not place. */
async function oneByOne(place: GitPlace, branch: string | null, reported: string | null, repo: RepoFacts, mainDir: string): Promise<WorktreeFacts> {
  const f = await worktreeFacts(place, branch, repo, mainDir)
  // The verdict speaks of the HEAD git reports; the branch still goes with the worktree.
  return {...f, branch: reported}
}


/** The real path, or the resolved one when it does not exist. */
export function realOrResolved(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}
