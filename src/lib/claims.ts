/**
 * Claims: the paths a worker declared it will edit. A claim is a path inside
 * a repository, stored as the repository (`owner/repo`) plus a path relative
 * to its root, so it means the same from the main checkout, from any
 * worktree of it, and from an absolute path into either (SPEC §10).
 */
import {realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import {UsageError} from './errors.js'
import {gitQuery} from './git.js'

export type ConflictReason = 'exact' | 'ancestor' | 'descendant'

/** A root directory of a repository (its main checkout or one of its worktrees), canonical. */
export interface RepoRoot {
  dir: string
  /** `owner/repo`. */
  repo: string
}

/** A path someone asks about, placed in its repository where it can be. */
export interface ClaimTarget {
  /** The repository the path lies in; null when it lies in none dispatch knows. */
  repo: string | null
  /** Relative to the repository root (`.` for the root itself); null when not repository-relative. */
  rel: string | null
  /** Canonical absolute form, for comparing against claims that are absolute (old records). */
  abs: string
  /** A relative path given outside every repository: compared against every repository's claims. */
  anyRepo?: boolean
}

/**
 * Normalise a path for comparison: absolute against `cwd`, `.`/`..` resolved,
 * symlinks resolved for the longest prefix that exists (so a path that does
 * not exist yet still compares correctly).
 */
export function canonicalPath(p: string, cwd: string): string {
  const abs = path.resolve(cwd, p)
  let existing = abs
  const rest: string[] = []
  for (;;) {
    try {
      const real = realpathSync(existing)
      return rest.length > 0 ? path.join(real, ...rest.reverse()) : real
    } catch {
      const parent = path.dirname(existing)
      if (parent === existing) return abs
      rest.push(path.basename(existing))
      existing = parent
    }
  }
}

/**
 * How a claim and a path overlap, both canonical absolute paths. Pure.
 * `ancestor`: the claim contains the path; `descendant`: the path contains the claim.
 * `/a/bc` never overlaps `/a/b`.
 */
export function claimOverlap(claim: string, target: string): ConflictReason | undefined {
  if (claim === target) return 'exact'
  const within = (parent: string, child: string) => {
    const rel = path.relative(parent, child)
    return rel !== '' && !rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel)
  }
  if (within(claim, target)) return 'ancestor'
  if (within(target, claim)) return 'descendant'
  return undefined
}

/** claimOverlap for two repository-relative paths (`.` is the root). Pure. */
export function relativeOverlap(claim: string, target: string): ConflictReason | undefined {
  const norm = (p: string) => path.posix.join('/', p).replace(/(.)\/+$/, '$1')
  return claimOverlap(norm(claim), norm(target))
}

/** `owner/repo` names one repository whatever its case, as forges treat them. Pure. */
export function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/** The repository part of a canonical ref, `owner/repo#N` → `owner/repo`. Pure. */
export function repoOfRef(ref: string): string {
  const hash = ref.lastIndexOf('#')
  return hash === -1 ? ref : ref.slice(0, hash)
}

/** Is `child` inside `parent` or equal to it (both canonical absolute)? Pure. */
function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel))
}

/**
 * Known repository roots, indexed by directory.
 * NOTE: a registry can hold a thousand active workers; looking a path up
 * walks its few ancestors instead of scanning every root.
 */
export class RootIndex {
  private readonly byDir = new Map<string, string>()
  private byRepo?: Map<string, string[]>

  constructor(roots: Iterable<RepoRoot> = []) {
    for (const root of roots) this.add(root)
  }

  /** The first root named for a directory wins. */
  add(root: RepoRoot): void {
    if (this.byDir.has(root.dir)) return
    this.byDir.set(root.dir, root.repo)
    this.byRepo = undefined
  }

  repoAt(dir: string): string | undefined {
    return this.byDir.get(dir)
  }

  /** Every root directory of `repo`. */
  dirsOf(repo: string): string[] {
    if (!this.byRepo) {
      this.byRepo = new Map()
      for (const [dir, r] of this.byDir) this.byRepo.set(r.toLowerCase(), [...(this.byRepo.get(r.toLowerCase()) ?? []), dir])
    }
    return this.byRepo.get(repo.toLowerCase()) ?? []
  }

  /**
   * The deepest known root containing `abs` (canonical absolute), and the
   * path relative to it. Deepest, so a worktreeRoot nested inside a checkout
   * still maps its worktrees to themselves.
   */
  locate(abs: string): {repo: string; rel: string; root: string} | undefined {
    for (let dir = abs; ; ) {
      const repo = this.byDir.get(dir)
      if (repo !== undefined) return {repo, rel: path.relative(dir, abs).split(path.sep).join('/') || '.', root: dir}
      const parent = path.dirname(dir)
      if (parent === dir) return undefined
      dir = parent
    }
  }
}

/** The deepest of `roots` containing `abs`, and the path relative to it. Pure. */
export function locate(abs: string, roots: readonly RepoRoot[] | RootIndex): {repo: string; rel: string; root: string} | undefined {
  return (roots instanceof RootIndex ? roots : new RootIndex(roots)).locate(abs)
}

/** A directory's canonical path, or the path as given when it does not exist. */
export function canonicalDir(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return path.resolve(dir)
  }
}

/** Split `--claims a,b --claims c`, dropping empties and duplicates. Pure. */
export function splitClaims(values: readonly string[]): string[] {
  const out: string[] = []
  for (const value of values) {
    for (const part of value.split(',')) {
      const trimmed = part.trim()
      if (trimmed && !out.includes(trimmed)) out.push(trimmed)
    }
  }
  return out
}

/**
 * Turn `--claims` values into repository-relative claims of `repo`. `roots`
 * are the repository's main checkout (first) and its worktrees. A relative
 * claim resolves against `cwd` when `cwd` is inside the repository (any of
 * its roots); from anywhere else it is taken relative to the repository
 * root, since the issue already says which repository is meant. A claim
 * that lands outside every root is a usage error naming it.
 */
export function resolveClaims(values: readonly string[], opts: {cwd: string; repo: string; roots: readonly RepoRoot[]}): string[] {
  const [main] = opts.roots
  const index = new RootIndex(opts.roots)
  const cwd = canonicalPath(opts.cwd, '/')
  const base = index.locate(cwd) ? cwd : main.dir
  const out: string[] = []
  for (const claim of splitClaims(values)) {
    const abs = canonicalPath(claim, base)
    const hit = index.locate(abs)
    if (!hit) {
      throw new UsageError(
        `Claim ${claim} is outside ${opts.repo}: it resolves to ${abs}, which is neither in the checkout ${main.dir} nor in one of its worktrees.`,
        `Claim paths inside the repository: relative to its root (e.g. --claims src/auth), or absolute paths into ${main.dir} or a worktree of it.`,
      )
    }
    if (!out.includes(hit.rel)) out.push(hit.rel)
  }
  return out
}

/** The nearest existing directory at or above `abs`. */
function nearestDir(abs: string): string {
  let dir = abs
  for (;;) {
    try {
      if (statSync(dir).isDirectory()) return dir
    } catch {}
    const parent = path.dirname(dir)
    if (parent === dir) return dir
    dir = parent
  }
}

/** Where git says `dir` lives: the worktree's top level and the main checkout it belongs to; undefined outside any repository. */
export async function discoverRepo(dir: string): Promise<{toplevel: string; main: string} | undefined> {
  let out: string
  try {
    // NOTE: no --path-format=absolute (git 2.31); --git-common-dir may come back relative to dir.
    out = await gitQuery(dir, ['rev-parse', '--show-toplevel', '--git-common-dir'], 5000)
  } catch {
    return undefined
  }
  const [top, common] = out.split('\n')
  if (!top || !common) return undefined
  const commonDir = path.resolve(dir, common)
  // A non-bare repository keeps its common dir as <main checkout>/.git.
  const main = path.basename(commonDir) === '.git' ? path.dirname(commonDir) : commonDir
  return {toplevel: canonicalDir(top), main: canonicalDir(main)}
}

/**
 * Place each given path in its repository, for `sidequests conflicts` and
 * `Registry.conflicts`. `roots` are the roots known from active workers'
 * records; a path under none of them costs one git call (per repository
 * top level, not per path), which also finds other `git worktree`s of a
 * known checkout. Appends what it learns to `roots`.
 */
export async function locateTargets(paths: readonly string[], cwd: string, roots: RootIndex, discover = discoverRepo): Promise<ClaimTarget[]> {
  // Top levels git has told us about that belong to no known repository.
  const foreign: string[] = []
  // What git said per directory, so paths from one place outside any repository cost one call.
  const asked = new Map<string, Awaited<ReturnType<typeof discover>>>()
  const out: ClaimTarget[] = []
  for (const given of paths) {
    const abs = canonicalPath(given, cwd)
    let hit = roots.locate(abs)
    if (!hit && !foreign.some((dir) => isWithin(dir, abs))) {
      const dir = nearestDir(abs)
      if (!asked.has(dir)) asked.set(dir, await discover(dir))
      const found = asked.get(dir)
      if (found) {
        const repo = roots.repoAt(found.main) ?? roots.repoAt(found.toplevel)
        if (repo) {
          roots.add({dir: found.toplevel, repo})
          hit = roots.locate(abs)
        } else foreign.push(found.toplevel)
      } else if (!path.isAbsolute(given)) {
        const rel = path.posix.normalize(given.split(path.sep).join('/')).replace(/\/+$/, '') || '.'
        if (rel !== '..' && !rel.startsWith('../')) {
          out.push({repo: null, rel, abs, anyRepo: true})
          continue
        }
      }
    }
    out.push(hit ? {repo: hit.repo, rel: hit.rel, abs} : {repo: null, rel: null, abs})
  }
  return out
}

/**
 * The roots of a repository for resolving `--claims`: its main checkout
 * (first), every worktree git knows of (dispatch's and anyone else's), and
 * the worktree a dispatch is about to create. One git call.
 */
export async function repoRoots(checkout: string, repo: string, planned?: string): Promise<RepoRoot[]> {
  const roots: RepoRoot[] = [{dir: canonicalDir(checkout), repo}]
  const add = (dir: string) => {
    const canonical = canonicalDir(dir)
    if (!roots.some((r) => r.dir === canonical)) roots.push({dir: canonical, repo})
  }
  const listed = await gitQuery(checkout, ['worktree', 'list', '--porcelain']).catch(() => '')
  for (const line of listed.split('\n')) if (line.startsWith('worktree ')) add(line.slice('worktree '.length))
  if (planned) add(planned)
  return roots
}
