import path from 'node:path'

import {gitQuery} from '../git.js'
import {canonicalDir} from './paths.js'

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
