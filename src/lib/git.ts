
import type {SimpleGit} from 'simple-git'

import {FailureError, errorMessage} from './errors.js'
import {runForOutput} from './subprocess.js'

/** Interactive helpers git must never start from dispatch: no editor, no pager, no password prompt. */
const INTERACTIVE_ENV = new Set(['editor', 'visual', 'git_editor', 'git_sequence_editor', 'pager', 'git_pager', 'git_askpass', 'ssh_askpass'])

/**
 * The environment git children start from. The composition root
 * (src/lib/context.ts) hands it the run's env; library use without a root
 * (the library API, the worker supervisor's own process, library tests)
 * starts from the process's.
 */
let baseEnv: NodeJS.ProcessEnv | undefined

/** Set the env git children start from: called once by the composition root (or a separate process's entry point). */
export function useGitEnv(env: NodeJS.ProcessEnv): void {
  baseEnv = env
}

function runEnv(): NodeJS.ProcessEnv {
  return baseEnv ?? process.env // root-exception: the library's default when no composition root ran
}

/** `base` without the interactive helpers, with prompts off and BatchMode ssh. Pure. */
export function gitEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(base)) if (!INTERACTIVE_ENV.has(k.toLowerCase())) env[k] = v
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: base.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes -o ConnectTimeout=10',
    LC_ALL: 'C',
  }
}

/**
 * A read-only git question: `git <args>` in `dir`, resolving to stdout
 * (trimmed) and rejecting with git's own words on any non-zero exit.
 * NOTE: every dispatch and --dry-run asks about five of these on its hot
 * path; through simple-git they cost ~55 ms to load it and about three
 * times as much per call (measured: 180 ms against 65 ms for the same
 * five). Anything that changes a repository (worktree add/remove,
 * branch -D, fetch) goes through gitAt.
 */
export function gitQuery(dir: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return runForOutput('git', args, {cwd: dir, env: gitEnv(runEnv()), timeoutMs, failure: (o) => (o.stderr || o.stdout).trim()})
}

/**
 * simple-git, imported lazily (it costs ~50 ms at start-up) and configured so
 * git never prompts: a dispatch must not hang on a credential question.
 */
export async function gitAt(dir: string, opts: {timeoutMs?: number} = {}): Promise<SimpleGit> {
  const {simpleGit} = await import('simple-git')
  return simpleGit({
    baseDir: dir,
    maxConcurrentProcesses: 4,
    trimmed: true,
    // simple-git guards these env settings against untrusted callers; here they are
    // the operator's own environment (and our BatchMode ssh), so they are allowed.
    unsafe: {
      allowUnsafeSshCommand: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeConfigEnvCount: true,
      allowUnsafeGitProxy: true,
      allowUnsafeTemplateDir: true,
      allowUnsafeDiffExternal: true,
    },
    // NOTE: by default simple-git only fails when git exits non-zero AND wrote to
    // stderr, so `merge-base --is-ancestor` answering "no" (exit 1, silent) would
    // pass as "yes". Every non-zero exit is an error here.
    errors(error, result) {
      if (error) return error
      if (result.exitCode === 0) return undefined
      const text = Buffer.concat([...result.stdErr, ...result.stdOut]).toString('utf8').trim()
      return Buffer.from(text || `git exited with code ${result.exitCode}`)
    },
    ...(opts.timeoutMs ? {timeout: {block: opts.timeoutMs}} : {}),
  }).env(gitEnv(runEnv()))
}

export function gitFailure(action: string, where: string, error: unknown): FailureError {
  const detail = errorMessage(error).trim().split('\n').filter(Boolean).slice(-3).join(' ')
  return new FailureError(`git failed to ${action} in ${where}: ${detail}`, 'Fix the repository state and try again.')
}

/** NOTE: another git process (or a concurrent dispatch) holding index.lock or a ref lock is transient. */
export function isLockError(error: unknown): boolean {
  return /\.lock['": ]|Unable to create .*lock|cannot lock ref|could not lock config file/i.test(errorMessage(error))
}
