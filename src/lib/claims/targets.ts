import {statSync} from 'node:fs'
import path from 'node:path'

import {UsageError} from '../errors.js'
import {canonicalPath, isWithin} from './paths.js'
import {RootIndex, discoverRepo, type ClaimTarget, type RepoRoot} from './roots.js'

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
