/**
 * Where a worktree's git data is, decided from the trusted side (SPEC §11):
 * the main checkout comes from the config or the record, its git directory
 * from the checkout itself, and the worktree's admin directory must be one
 * of `<common>/worktrees/<name>` whose `gitdir` names this worktree. The
 * worktree's own `.git` file is only compared against that, never followed,
 * and the admin directory's `commondir` (worker-writable) is overridden.
 */
import {closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync, constants} from 'node:fs'
import path from 'node:path'

/** A linked worktree's git, every part from the trusted side: git runs with GIT_DIR, GIT_COMMON_DIR and GIT_WORK_TREE set to these. */
export interface GitPlace {
  workTree: string
  gitDir: string
  commonDir: string
}

/** A small regular file's text, read without following a symlink or blocking on a FIFO; undefined otherwise. */
function readSmall(file: string, max = 4096): string | undefined {
  let fd: number | undefined
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    const st = fstatSync(fd)
    if (!st.isFile() || st.size > max) return undefined
    const buf = Buffer.alloc(st.size)
    readSync(fd, buf, 0, st.size, 0)
    return buf.toString('utf8')
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p)
  } catch {
    return undefined
  }
}

/** The `gitdir:` a `.git` file (or an admin dir's `gitdir` file) names, resolved against `from`. */
function pointer(file: string, from: string, prefix: string): string | undefined {
  const text = readSmall(file)
  if (text === undefined) return undefined
  const line = text.split('\n')[0].trim()
  const target = prefix ? (line.startsWith(prefix) ? line.slice(prefix.length).trim() : '') : line
  return target ? path.resolve(from, target) : undefined
}

/**
 * The main checkout's git directory (shared by all its worktrees): its `.git`
 * directory, or what a `.git` file there names (the checkout is trusted).
 */
export function commonDirOf(checkout: string): string | undefined {
  const dotGit = path.join(checkout, '.git')
  try {
    if (lstatSync(dotGit).isDirectory()) return real(dotGit)
  } catch {
    return undefined
  }
  const gitDir = pointer(dotGit, checkout, 'gitdir:')
  if (!gitDir) return undefined
  const common = readSmall(path.join(gitDir, 'commondir'))
  return real(common ? path.resolve(gitDir, common.trim()) : gitDir)
}

/**
 * The trusted git place for `worktree` of `checkout`, or why git must not
 * run there. Reads files only; runs nothing.
 */
export function worktreePlace(checkout: string, worktree: string): GitPlace | {reason: string} {
  const commonDir = commonDirOf(checkout)
  if (!commonDir) return {reason: `${checkout} is not a git checkout`}
  const workTree = real(worktree)
  if (!workTree) return {reason: 'not a git worktree'}
  const dotGit = path.join(workTree, '.git')
  let isFile = false
  try {
    isFile = lstatSync(dotGit).isFile()
  } catch {
    return {reason: 'not a git worktree'}
  }
  const named = isFile ? pointer(dotGit, workTree, 'gitdir:') : undefined
  if (!named) return {reason: 'its .git is not a worktree pointer file; not followed'}
  const gitDir = real(named)
  const admins = real(path.join(commonDir, 'worktrees'))
  if (!gitDir || !admins || path.dirname(gitDir) !== admins) {
    return {reason: `its .git points at ${named}, not into ${path.join(commonDir, 'worktrees')}/; not followed`}
  }
  // The admin dir must name this worktree back, as `git worktree list` reads it.
  const back = pointer(path.join(gitDir, 'gitdir'), gitDir, '')
  if (!back || real(back) !== dotGit) return {reason: `its .git points at ${gitDir}, which belongs to ${back ? path.dirname(back) : 'no worktree'}; not followed`}
  // git follows the admin dir's commondir (worker-writable) wherever it is run through the .git file
  // (`worktree remove` runs status that way): it must name the checkout's own.
  const common = readSmall(path.join(gitDir, 'commondir'))
  if (!common || real(path.resolve(gitDir, common.trim())) !== commonDir) {
    return {reason: `its git directory ${gitDir} names ${common ? path.resolve(gitDir, common.trim()) : 'no'} common directory, not ${commonDir}; not followed`}
  }
  return {workTree, gitDir, commonDir}
}

export function isPlace(x: GitPlace | {reason: string}): x is GitPlace {
  return 'gitDir' in x
}
