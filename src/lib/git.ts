import type {SimpleGit} from 'simple-git'

import {FailureError, errorMessage} from './errors.js'

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
    // We set GIT_SSH_COMMAND ourselves (BatchMode: never prompt); simple-git guards it by default.
    unsafe: {allowUnsafeSshCommand: true},
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
  }).env({
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes -o ConnectTimeout=10',
    LC_ALL: 'C',
  })
}

export function gitFailure(action: string, where: string, error: unknown): FailureError {
  const detail = errorMessage(error).trim().split('\n').filter(Boolean).slice(-3).join(' ')
  return new FailureError(`git failed to ${action} in ${where}: ${detail}`, 'Fix the repository state and try again.')
}

/** NOTE: another git process (or a concurrent dispatch) holding index.lock or a ref lock is transient. */
export function isLockError(error: unknown): boolean {
  return /\.lock['": ]|Unable to create .*lock|cannot lock ref|could not lock config file/i.test(errorMessage(error))
}
