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
  const within = (parent: string, child: string) => {
    const rel = path.relative(parent, child)
    return rel !== '' && !rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel)
  }
  if (within(claim, target)) return 'ancestor'
  if (within(target, claim)) return 'descendant'
  return undefined
}

/** Split `--claims a,b --claims c` into canonical paths, dropping empties and duplicates. */
export function parseClaims(values: readonly string[], cwd: string): string[] {
  const out: string[] = []
  for (const value of values) {
    for (const part of value.split(',')) {
      const trimmed = part.trim()
      if (!trimmed) continue
      const canonical = canonicalPath(trimmed, cwd)
      if (!out.includes(canonical)) out.push(canonical)
    }
  }
  return out
}
