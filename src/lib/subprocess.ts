/**
 * The one way to run a program for what it prints: no shell, a timeout, and
 * a rejection that carries the program's own words. Programs run for their
 * effect with input and a process group of their own (notify's runBounded,
 * the worker spawner) are not this.
 */
import {execFile} from 'node:child_process'

export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Killed (SIGTERM) after this long; default 15 s. */
  timeoutMs?: number
  /** Default 64 MiB: git's answers (ls-files, log) can be long. */
  maxBuffer?: number
  /** The error message from what the program printed; default its stderr, trimmed. Empty falls back to Node's own words. */
  failure?: (out: {stdout: string; stderr: string}) => string
}

/** A program that could not be run, timed out or exited non-zero. */
export class SubprocessError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
    /** The exit code, or the errno name (ENOENT) when it never ran. */
    readonly code: number | string | null,
  ) {
    super(message)
    this.name = 'SubprocessError'
  }
}

/** `cmd args…`, resolving to its stdout trimmed; rejecting with a SubprocessError on any failure. */
export function runForOutput(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    try {
      execFile(
        cmd,
        args,
        {cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 15_000, maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024, encoding: 'utf8', windowsHide: true},
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout.trim())
          const said = (opts.failure ?? ((o) => o.stderr.trim()))({stdout, stderr})
          const code = (error as NodeJS.ErrnoException & {code?: number | string}).code ?? null
          reject(new SubprocessError(said || error.message, stdout, stderr, code))
        },
      )
    } catch (error) {
      // execFile throws synchronously on some bad arguments (a NUL in argv).
      reject(new SubprocessError((error as Error).message, '', '', null))
    }
  })
}
