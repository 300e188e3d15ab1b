import {realpathSync} from 'node:fs'
import path from 'node:path'

export type ConflictReason = 'exact' | 'ancestor' | 'descendant'

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
  // Strictly inside: equality was answered above.
  const within = (parent: string, child: string) => parent !== child && isWithin(parent, child)
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
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel))
}

/** A directory's canonical path, or the path as given when it does not exist. */
export function canonicalDir(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return path.resolve(dir)
  }
}
