import path from 'node:path'

import {RootIndex, canonicalDir, claimOverlap, locateTargets, relativeOverlap, repoOfRef, sameRepo, type ClaimTarget, type ConflictReason, type RepoRoot} from '../claims/index.js'
import type {SidequestRecord} from './record.js'

/** One (active worker, claim) overlap with a queried path. */
export interface Conflict {
  /** 0 for a queued Slurm worker: `job_id` names it then. */
  pid: number
  /** The Slurm job, for a Slurm worker (absent for local ones). */
  job_id?: string
  runner?: SidequestRecord['runner']
  ref: string
  /** `owner/repo` of the claim; null for an old absolute claim that lies in no known checkout or worktree. */
  repo: string | null
  /** Relative to the repository root when `repo` is set, else absolute. */
  claim: string
  /** The queried path, in the same form: repository-relative when it lies in a known repository, else absolute. */
  path: string
  reason: ConflictReason
}

/** The repository a record's claims belong to. */
export function recordRepo(record: Pick<SidequestRecord, 'repo' | 'ref'>): string {
  return record.repo ?? repoOfRef(record.ref)
}

/**
 * The directories active records tell us belong to their repository: each
 * worker's worktree (`cwd`) and main checkout. Canonical; the filesystem
 * root never counts (a record naming `/` must not swallow every path).
 * NOTE: realpath costs ~10 µs, ~35 µs when the path is gone, and a big
 * registry has a thousand active records: checkouts (few, and possibly
 * symlinks) are resolved once each, worktrees through their parent
 * directory, which they share.
 */
export function recordRoots(records: readonly SidequestRecord[]): RootIndex {
  const index = new RootIndex()
  const resolved = new Map<string, string>()
  const canonical = (dir: string) => {
    let c = resolved.get(dir)
    if (c === undefined) resolved.set(dir, (c = canonicalDir(dir)))
    return c
  }
  const add = (dir: string, repo: string) => {
    if (dir !== path.parse(dir).root) index.add({dir, repo})
  }
  for (const r of records) {
    const repo = recordRepo(r)
    if (r.checkout && path.isAbsolute(r.checkout)) add(canonical(r.checkout), repo)
    if (r.cwd && path.isAbsolute(r.cwd)) add(r.cwd === r.checkout ? canonical(r.cwd) : path.join(canonical(path.dirname(r.cwd)), path.basename(r.cwd)), repo)
  }
  return index
}

/** A record's claim placed in its repository; an old absolute claim is mapped when it lies in a known root. */
function placeClaim(claim: string, record: SidequestRecord, roots: RootIndex): ClaimTarget {
  if (!path.isAbsolute(claim)) return {repo: recordRepo(record), rel: path.posix.normalize(claim), abs: claim}
  const hit = roots.locate(claim)
  return hit ? {repo: hit.repo, rel: hit.rel, abs: claim} : {repo: null, rel: null, abs: claim}
}

/** Do a claim and a target compare as repository paths: the claim's repository is the target's, or the target's could be any? Pure. */
function sameRepository(claim: ClaimTarget, target: ClaimTarget): boolean {
  return claim.repo !== null && claim.rel !== null && target.rel !== null && (target.anyRepo === true || (target.repo !== null && sameRepo(claim.repo, target.repo)))
}

/**
 * How a claim overlaps a target. Two repository paths compare only within
 * one repository; an old absolute claim in no known root compares as an
 * absolute path. `containsRootOf` says whether the target contains a root
 * of a repository. Pure.
 */
function overlap(claim: ClaimTarget, target: ClaimTarget, containsRootOf: (repo: string) => boolean): ConflictReason | undefined {
  if (sameRepository(claim, target)) return relativeOverlap(claim.rel!, target.rel!)
  if (claim.repo && target.repo) return undefined
  // A target in no known root can only contain a repository claim, by containing one of its roots.
  if (claim.repo) return containsRootOf(claim.repo) ? 'descendant' : undefined
  return claimOverlap(claim.abs, target.abs)
}

/**
 * Every overlap between the given records' claims and a target. A string
 * target is a canonical absolute path (placed in its repository through
 * `roots`); `roots` default to the records' own worktrees and checkouts.
 * Pure over its arguments.
 */
export function findConflicts(records: readonly SidequestRecord[], target: string | ClaimTarget, roots: RootIndex | readonly RepoRoot[] = recordRoots(records)): Conflict[] {
  const index = roots instanceof RootIndex ? roots : new RootIndex(roots)
  let t: ClaimTarget
  if (typeof target === 'string') {
    const hit = index.locate(target)
    t = hit ? {repo: hit.repo, rel: hit.rel, abs: target} : {repo: null, rel: null, abs: target}
  } else t = target
  const contains = new Map<string, boolean>()
  const containsRootOf = (repo: string) => {
    const key = repo.toLowerCase()
    let yes = contains.get(key)
    if (yes === undefined) contains.set(key, (yes = index.dirsOf(repo).some((dir) => claimOverlap(dir, t.abs) === 'descendant')))
    return yes
  }
  const out: Conflict[] = []
  for (const r of records) {
    for (const raw of r.paths_claimed) {
      const claim = placeClaim(raw, r, index)
      const reason = overlap(claim, t, containsRootOf)
      if (!reason) continue
      const slurm = r.runner === 'slurm' && r.job_id ? {runner: r.runner, job_id: r.job_id} : {}
      out.push({pid: r.pid, ...slurm, ref: r.ref, repo: claim.repo, claim: claim.rel ?? claim.abs, path: sameRepository(claim, t) ? t.rel! : t.abs, reason})
    }
  }
  return out
}

/**
 * Conflicts of the given paths with the given active records, each path
 * placed in its repository first (relative paths against `cwd`). Returns the
 * targets too, so callers can say how a path was read.
 */
export async function conflictsWith(active: readonly SidequestRecord[], paths: readonly string[], cwd: string): Promise<{conflicts: Conflict[]; targets: ClaimTarget[]}> {
  const roots = recordRoots(active)
  const targets = await locateTargets(paths, cwd, roots)
  return {conflicts: targets.flatMap((t) => findConflicts(active, t, roots)), targets}
}
