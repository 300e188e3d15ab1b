/**
 * `.worktreeinclude` (Claude Code's own convention): files that match it and
 * that git ignores (`.env`, local config, caches) are copied from the
 * checkout into a new worktree, modes kept. Git itself matches the patterns
 * (gitignore syntax, negations and all), so no second matcher can disagree
 * with it. Never a file outside the checkout, never through a symlink that
 * leaves it.
 */
import {existsSync} from 'node:fs'
import {chmod, copyFile, constants, lstat, mkdir, readdir, readlink, realpath, symlink} from 'node:fs/promises'
import path from 'node:path'

import {errorMessage} from '../errors.js'
import {gitQuery} from '../git.js'
import {isInside} from '../workspace.js'

export const INCLUDE_FILE = '.worktreeinclude'

/**
 * The entries to copy: those matching `.worktreeinclude` (`matching`, files
 * and, for nested repositories, `dir/`) that git ignores — listed in
 * `ignored` themselves or under an ignored directory (`dir/`). Pure.
 */
export function selectIncluded(ignored: readonly string[], matching: readonly string[]): string[] {
  const exact = new Set(ignored)
  const dirs = ignored.filter((e) => e.endsWith('/'))
  const isIgnored = (e: string) => exact.has(e) || dirs.some((d) => e.startsWith(d))
  return [...new Set(matching)].filter((e) => e && !e.split('/').includes('..') && isIgnored(e)).sort()
}

function nulList(out: string): string[] {
  return out.split('\0').filter(Boolean)
}

/** What `.worktreeinclude` selects in the checkout: paths relative to it (`dir/` for a whole directory); [] without the file. */
export async function listIncluded(checkout: string): Promise<string[]> {
  const file = path.join(checkout, INCLUDE_FILE)
  if (!existsSync(file)) return []
  // Ignored directories as one entry each (`node_modules/`), so a large one is not listed file by file.
  const [ignored, matching] = await Promise.all([
    gitQuery(checkout, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], 60_000),
    gitQuery(checkout, ['ls-files', '-z', '--others', '--ignored', `--exclude-from=${file}`], 60_000),
  ])
  return selectIncluded(nulList(ignored), nulList(matching))
}

export interface IncludeResult {
  /** Files and symlinks copied (or, in a dry run, that would be), relative to the checkout. */
  copied: string[]
  /** Entries left out, with why (a symlink leaving the checkout, a special file, an error). */
  skipped: Array<{path: string; reason: string}>
}

/**
 * Copy the selected entries from `checkout` into `worktree`: regular files
 * with their modes, symlinks as symlinks when they resolve inside the
 * checkout, directories recursively. Existing files in the worktree are
 * never overwritten. `dryRun` only decides.
 */
export async function copyIncluded(checkout: string, worktree: string, entries: readonly string[], opts: {dryRun?: boolean} = {}): Promise<IncludeResult> {
  const root = await realpath(checkout)
  const wtRoot = await realpath(worktree).catch(() => path.resolve(worktree))
  const result: IncludeResult = {copied: [], skipped: []}
  // NOTE: the worktree's branch may hold a committed symlink where the checkout has a directory
  // (a worker can commit one): writing through it would put the file outside the worktree.
  const leavesWorktree = async (dst: string): Promise<string | undefined> => {
    let dir = path.dirname(dst)
    while (!existsSync(dir) && dir !== path.dirname(dir)) dir = path.dirname(dir)
    const real = await realpath(dir)
    return isInside(wtRoot, real) ? undefined : real
  }
  /** Write one entry with `write` unless its directory in the worktree leads out of it; dry runs only decide. */
  const place = async (rel: string, dst: string, write: () => Promise<void>): Promise<void> => {
    const escape = opts.dryRun ? undefined : await leavesWorktree(dst)
    if (escape) {
      result.skipped.push({path: rel, reason: `its directory in the worktree is a symlink to ${escape}, outside the worktree`})
      return
    }
    if (!opts.dryRun && !existsSync(dst)) {
      await mkdir(path.dirname(dst), {recursive: true, mode: 0o700})
      await write()
    }
    result.copied.push(rel)
  }
  const copyOne = async (rel: string): Promise<void> => {
    const src = path.join(checkout, rel)
    const dst = path.join(worktree, rel)
    try {
      // NOTE: a symlinked parent directory would lead the copy out of the checkout: resolve it first.
      if (!isInside(root, await realpath(path.dirname(src)))) {
        result.skipped.push({path: rel, reason: 'its directory is a symlink that leaves the checkout'})
        return
      }
      const st = await lstat(src)
      if (st.isSymbolicLink()) {
        const target = await realpath(src).catch(() => undefined)
        if (!target || !isInside(root, target)) {
          result.skipped.push({path: rel, reason: target ? `a symlink to ${target}, outside the checkout` : 'a dangling symlink'})
          return
        }
        await place(rel, dst, async () => symlink(await readlink(src), dst))
      } else if (st.isDirectory()) {
        for (const name of (await readdir(src)).sort()) await copyOne(path.join(rel, name))
      } else if (st.isFile()) {
        await place(rel, dst, async () => {
          await copyFile(src, dst, constants.COPYFILE_EXCL)
          // Owner bits only: a .env readable by the group in the checkout must not become readable to others in
          // a worktree under a shared worktreeRoot (the Slurm runner needs shared storage).
          await chmod(dst, st.mode & 0o700)
        })
      } else {
        result.skipped.push({path: rel, reason: 'not a regular file, directory or symlink'})
      }
    } catch (error) {
      result.skipped.push({path: rel, reason: errorMessage(error)})
    }
  }
  for (const entry of entries) await copyOne(entry.replace(/\/+$/, ''))
  return result
}
