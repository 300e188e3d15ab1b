/**
 * Reap (SPEC §10): sweep the worktree root and remove the worktrees that hold
 * no work. The parts: facts.ts and batch.ts read (judge.ts puts a
 * repository's reads together), decide.ts decides (pure), remove.ts removes;
 * this file walks the candidates and ties them together. background.ts and
 * sweeper.ts run the quiet sweep after a dispatch, in a process of its own.
 */
import {lstatSync} from 'node:fs'
import path from 'node:path'

import {startingRecords} from '../bootstrap/starting.js'
import {errorMessage} from '../errors.js'
import {gitQuery, isPlace, worktreePlace, type GitPlace} from '../git.js'
import {dispatchLockPath, withLock} from '../lock.js'
import type {Registry, SidequestRecord} from '../registry/index.js'
import {forgeCouldVouch, type ForgeReapFacts} from '../outcome/reap-rule.js'
import {decideReap, type ReapVerdict} from './decide.js'
import {candidates, gitfileMtime, nothingKnown} from './facts.js'
import {judgeRepo, realOrResolved, type Judged} from './judge.js'
import {removeWorktree} from './remove.js'

export {decideReap, type WorktreeFacts} from './decide.js'

export interface ReapEntry {
  path: string
  branch: string | null
  /** What happened: removed (or would-remove under --dry-run), or kept. */
  action: 'removed' | 'would-remove' | 'kept'
  /** What the rules decided; the same with and without --dry-run. */
  verdict: ReapVerdict['verdict']
  reason: string
  /** Which rule removed it: git (merged, or on a remote branch) or forge (its pull request merged with this tip as head); null when kept. */
  rule: 'git' | 'forge' | null
}

export interface ReapOptions {
  worktreeRoot: string
  /** The run's registry: an active worker's worktree is never removed. */
  registry: Pick<Registry, 'active'>
  /** Where dispatches still setting up a worktree leave their notes (bootstrap/starting.ts). */
  stateDir: string
  dryRun: boolean
  /** Limit the sweep to `<worktreeRoot>/<owner>/<repo>`, and with `issue` to that issue's worktrees (`issue-<N>[-…]`). */
  only?: {owner: string; repo: string; issue?: number}
  /**
   * `git fetch --prune origin` first, so remote branches are what origin has
   * now. Without it (or when the fetch fails) remote branches other than
   * origin/<default> vouch for nothing: a stale one may be gone upstream.
   */
  fetch: boolean
  /**
   * Keep worktrees made less than this long ago. NOTE: the quiet sweep runs
   * outside the registry lock, so another dispatch may have just made a
   * worktree whose worker's record does not exist yet; age is what tells.
   */
  minAgeMs?: number
  /**
   * The background sweep's mode: skip `git status` where it cannot change the verdict (a worktree
   * kept anyway), so a kept worktree costs no git process of its own; reasons of kept worktrees may
   * then name another rule than `dispatch reap` would. Verdicts are the same.
   */
  quiet?: boolean
  /**
   * The main checkout of owner/repo, from the config (SPEC §11: never from a
   * worktree's own `.git` file, which its worker wrote).
   */
  checkoutOf: (owner: string, repo: string) => string | undefined
  /** Ask the forge about a worktree git cannot vouch for (outcome/reap-forge.ts); without it, git alone decides. */
  askForge?: (w: {path: string; branch: string; checkout: string; place: GitPlace}) => Promise<ForgeReapFacts>
  /** Where a note it cannot use (stateDir/starting) is reported; the quiet sweep passes none. */
  warn?: (message: string) => void
}

/** How many worktrees are judged (status, forge, removal) at once. */
const CONCURRENCY = 4

/**
 * Remove dispatch worktrees that hold no work (SPEC §10): clean, and every
 * commit on HEAD and its branch reachable from the default branch or a remote
 * branch; never one an active worker runs in. Deletes the branch and prunes
 * git's metadata. Facts are gathered once per repository, in a few git
 * processes for all its worktrees (batch.ts), and the rest runs a few
 * worktrees at a time. Returns one entry per worktree looked at, in order,
 * with the verdict and why.
 */
export async function reap(opts: ReapOptions): Promise<ReapEntry[]> {
  // A dispatch still setting up its worktree (no record yet) holds it like an active worker.
  const active = [...(await opts.registry.active().catch((): SidequestRecord[] => [])), ...(await startingRecords(opts.stateDir, opts.warn))]
  const busy = new Map(active.map((r) => [realOrResolved(r.cwd), r]))
  const dirs = candidates(opts.worktreeRoot, opts.only)
  const results: ReapEntry[] = new Array(dirs.length)
  const keep = (i: number, branch: string | null, reason: string) => (results[i] = {path: dirs[i], branch, action: 'kept', verdict: 'keep', reason, rule: null})
  // Worktrees that need git, by main checkout, each with where its git data is.
  const byRepo = new Map<string, Array<{i: number; dir: string; place: GitPlace}>>()
  for (const [i, dir] of dirs.entries()) {
    if (!hasDotGit(dir)) {
      keep(i, null, 'not a git worktree')
      continue
    }
    const [owner, repoName] = path.relative(opts.worktreeRoot, dir).split(path.sep)
    const configured = opts.checkoutOf(owner, repoName)
    const mainDir = configured ?? path.join(opts.worktreeRoot, owner, repoName)
    const worker = busy.get(realOrResolved(dir))
    if (worker) {
      // Decided before any git work: a busy worktree costs no fetch.
      keep(i, worker.branch || null, decideReap({...nothingKnown(mainDir), activeWorker: {pid: worker.pid, ref: worker.ref, jobId: worker.runner === 'slurm' ? worker.job_id : null}}).reason)
      continue
    }
    if (opts.minAgeMs && Date.now() - gitfileMtime(dir) < opts.minAgeMs) {
      keep(i, null, decideReap({...nothingKnown(mainDir), justMade: true}).reason)
      continue
    }
    if (!configured) {
      keep(i, null, `no checkout of ${owner}/${repoName} in the config`)
      continue
    }
    // Where its git data is, from the checkout's side; a .git pointing elsewhere is not followed.
    const place = worktreePlace(mainDir, dir)
    if (!isPlace(place)) {
      keep(i, null, place.reason)
      continue
    }
    byRepo.set(mainDir, [...(byRepo.get(mainDir) ?? []), {i, dir, place}])
  }
  for (const [mainDir, items] of byRepo) {
    let judged: Judged[]
    try {
      judged = await judgeRepo(mainDir, {fetch: opts.fetch, quiet: Boolean(opts.quiet && !opts.askForge)}, items)
    } catch (error) {
      for (const {i} of items) keep(i, null, `could not inspect or remove: ${errorMessage(error).split('\n')[0]}`)
      continue
    }
    await eachLimited(judged, CONCURRENCY, async (j, k) => {
      results[items[k].i] = await settleOne(opts, mainDir, j)
    })
  }
  return results
}

/** Decide one worktree (asking the forge when git cannot vouch) and remove it when the rules say so. */
async function settleOne(opts: ReapOptions, mainDir: string, j: Judged): Promise<ReapEntry> {
  const {dir, branch, place} = j
  const kept = (reason: string): ReapEntry => ({path: dir, branch, action: 'kept', verdict: 'keep', reason, rule: null})
  if (j.kept) return {...kept(j.kept), branch: null}
  try {
    const f = await j.facts!()
    let v = decideReap(f)
    if (opts.askForge && f.branch && forgeCouldVouch({...f, verdict: v.verdict})) {
      const forge = await opts.askForge({path: dir, branch: f.branch, checkout: mainDir, place})
      v = decideReap({...f, ...forge})
      // Say so: a squash-merged branch kept only because the forge was down looks like unmerged work.
      if (v.verdict === 'keep' && forge.forgeError) v = {...v, reason: `${v.reason}; the forge could not say whether a merged pull request holds them (${forge.forgeError})`}
    }
    if (v.verdict === 'keep') return kept(v.reason)
    if (opts.dryRun) return {path: dir, branch, action: 'would-remove', verdict: 'remove', reason: v.reason, rule: v.rule ?? 'git'}
    // NOTE: the facts (and the forge's answer) took time: a dispatch may have started a worker in
    // this worktree since, or someone committed there. Look again under the dispatch lock, which a
    // dispatch holds while it checks and registers a worker, and remove only what was judged.
    const since = await withLock(dispatchLockPath(opts.stateDir), async () => {
      const changed = await changedSince(opts, place, branch, j.seen)
      if (!changed) await removeWorktree(mainDir, place, branch, j.repo!.local)
      return changed
    })
    if (since) return kept(since)
    return {path: dir, branch, action: 'removed', verdict: 'remove', reason: v.reason, rule: v.rule ?? 'git'}
  } catch (error) {
    return kept(`could not inspect or remove: ${errorMessage(error).split('\n')[0]}`)
  }
}

/** Run `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const k = next++
      await fn(items[k], k)
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, lane))
}


function hasDotGit(dir: string): boolean {
  try {
    lstatSync(path.join(dir, '.git'))
    return true
  } catch {
    return false
  }
}

/** HEAD and the branch's tip, as one string to compare. */
async function tips(place: GitPlace, branch: string | null): Promise<string> {
  const at = (ref: string) => gitQuery(place, ['rev-parse', '--verify', '--quiet', ref]).catch(() => '')
  return `${await at('HEAD')} ${branch ? await at(`refs/heads/${branch}`) : ''}`
}

/** Why a worktree judged removable must stay after all (a worker started in it, commits were added), or undefined. */
async function changedSince(opts: ReapOptions, place: GitPlace, branch: string | null, seen: string | undefined): Promise<string | undefined> {
  const dir = place.workTree
  const active = [...(await opts.registry.active().catch((): SidequestRecord[] => [])), ...(await startingRecords(opts.stateDir, opts.warn))]
  const worker = active.find((r) => realOrResolved(r.cwd) === realOrResolved(dir))
  if (worker) return decideReap({...nothingKnown(dir), activeWorker: {pid: worker.pid, ref: worker.ref, jobId: worker.runner === 'slurm' ? worker.job_id : null}}).reason
  if (seen !== undefined && (await tips(place, branch)) !== seen) return 'new commits arrived while reap looked; run reap again to judge them'
  return undefined
}
