/**
 * Every git process dispatch starts goes through here (gitQuery for
 * questions, gitAt for changes), hardened as git-safe.ts says: a worker may
 * have written everything git reads in a worktree (SPEC §11). Git inside a
 * worktree is run at its GitPlace (git-place.ts), never found through the
 * worktree's own `.git` file.
 */
import {lstatSync} from 'node:fs'
import path from 'node:path'

import {FailureError, errorMessage} from './errors.js'
import type {GitPlace} from './git-place.js'
import {DRIVER_QUERY, PINNED, WORKTREE_PINNED, driverPins, needsDriverPins, pinArgs, safeGitEnv, transportArgs} from './git-safe.js'
import {runForOutput} from './subprocess.js'

export type {GitPlace} from './git-place.js'
export {isPlace, worktreePlace} from './git-place.js'

/**
 * The environment git children start from. The composition root
 * (src/lib/context.ts) hands it the run's env and the configured token
 * variable; library use without a root (the library API, the worker
 * supervisor's own process, library tests) starts from the process's.
 */
let baseEnv: NodeJS.ProcessEnv | undefined
let secretNames: readonly string[] = []

/** Set the env git children start from (and the token variables they never get): called by the composition root. */
export function useGitEnv(env: NodeJS.ProcessEnv, secrets: readonly string[] = []): void {
  baseEnv = env
  secretNames = secrets
}

function runEnv(): NodeJS.ProcessEnv {
  return baseEnv ?? process.env // root-exception: the library's default when no composition root ran
}

/** The env git children get (git-safe.ts): no forge token, no redirecting or program-starting GIT_*, no prompt, pager or editor. Pure. */
export function gitEnv(base: NodeJS.ProcessEnv, secrets: readonly string[] = []): NodeJS.ProcessEnv {
  return safeGitEnv(base, secrets)
}

/** Where a git call runs: a plain directory (git finds its repository), or a worktree's trusted place (git is told it). */
function where(at: string | GitPlace): {cwd: string; env: NodeJS.ProcessEnv} {
  const env = gitEnv(runEnv(), secretNames)
  if (typeof at === 'string') return {cwd: at, env}
  return {cwd: at.workTree, env: {...env, GIT_DIR: at.gitDir, GIT_COMMON_DIR: at.commonDir, GIT_WORK_TREE: at.workTree}}
}

/** Does git, started in `dir`, find its repository through a `.git` pointer file (a linked worktree's)? */
function viaGitFile(dir: string): boolean {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      return lstatSync(path.join(at, '.git')).isFile()
    } catch {
      if (path.dirname(at) === at) return false
    }
  }
}

/**
 * `git <pins> <args>` at `at`: every program-starting setting pinned off
 * (git-safe.ts); in a worktree also its credential helpers and, for
 * commands that read worktree files, every filter, diff and merge driver
 * the config there names. The main checkout's own drivers (git-lfs) still
 * run. `about` is the worktree a command run elsewhere reaches into
 * (`worktree remove` runs status there): its drivers are pinned too.
 */
async function runGit(at: string | GitPlace, args: readonly string[], timeoutMs: number, about?: GitPlace): Promise<string> {
  const {cwd, env} = where(at)
  const failure = (o: {stdout: string; stderr: string}) => (o.stderr || o.stdout).trim()
  // A worktree's own config may be the worker's: its credential helpers and drivers are off too.
  const hostile = typeof at !== 'string' || about !== undefined || viaGitFile(at)
  let pins = pinArgs(hostile ? [...PINNED, ...WORKTREE_PINNED] : PINNED)
  if (hostile && needsDriverPins(args)) {
    const there = about ? where(about) : {cwd, env}
    // Exit 1 is "no such keys": no drivers to pin.
    const listing = await runForOutput('git', [...pins, ...DRIVER_QUERY], {...there, timeoutMs, failure}).catch((error: {code?: unknown; stdout?: string}) => {
      if (error.code === 1) return ''
      throw error
    })
    pins = [...pins, ...pinArgs(driverPins(listing))]
  }
  // --upload-pack for fetch/ls-remote: a config file's remote.<name>.uploadpack beats a -c pin (git-safe.ts).
  return runForOutput('git', [...pins, ...transportArgs(args)], {cwd, env, timeoutMs, failure})
}

/**
 * A read-only git question: `git <args>` in `at` (a directory, or a
 * worktree's trusted place), resolving to stdout (trimmed) and rejecting
 * with git's own words on any non-zero exit. Every setting that can start
 * a program is pinned off (git-safe.ts).
 */
export function gitQuery(at: string | GitPlace, args: string[], timeoutMs = 15_000): Promise<string> {
  return runGit(at, args, timeoutMs)
}

/** What gitAt hands back: git commands that change a repository, run as gitQuery runs them. */
export interface GitRunner {
  raw(args: string[]): Promise<string>
}

/** At most this many git processes from gitAt at once. */
const MAX_CONCURRENT = 4
let running = 0
const waiting: Array<() => void> = []

async function slot<T>(fn: () => Promise<T>): Promise<T> {
  while (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await fn()
  } finally {
    running--
    waiting.shift()?.()
  }
}

/**
 * Git commands that change a repository (worktree add/remove, branch -D,
 * fetch), hardened like gitQuery, never prompting; no time limit unless
 * `timeoutMs`. `about`: the worktree a command reaches into, whose drivers
 * are pinned too.
 */
export async function gitAt(at: string | GitPlace, opts: {timeoutMs?: number; about?: GitPlace} = {}): Promise<GitRunner> {
  return {raw: (args) => slot(() => runGit(at, args, opts.timeoutMs ?? 0, opts.about))}
}

export function gitFailure(action: string, where: string, error: unknown): FailureError {
  const detail = errorMessage(error).trim().split('\n').filter(Boolean).slice(-3).join(' ')
  return new FailureError(`git failed to ${action} in ${where}: ${detail}`, 'Fix the repository state and try again.')
}

/** NOTE: another git process (or a concurrent dispatch) holding index.lock or a ref lock is transient. */
export function isLockError(error: unknown): boolean {
  return /\.lock['": ]|Unable to create .*lock|cannot lock ref|could not lock config file/i.test(errorMessage(error))
}
