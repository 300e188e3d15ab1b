/**
 * `worktree.setup` (and `repos.<owner/repo>.setup`): the operator's command
 * that makes a new worktree ready (install dependencies, create a database)
 * before the worker starts. It is the operator's own text from the config,
 * run like a script by the user's shell with the worktree as cwd; no issue
 * text or other untrusted data is spliced into it. Its output goes to the
 * worker's log; a failure or a timeout fails the dispatch.
 */
import {spawn} from 'node:child_process'
import {closeSync, openSync, writeSync} from 'node:fs'
import {setTimeout as delay} from 'node:timers/promises'

import type {Config} from '../config/index.js'
import type {WorktreePlan} from '../worktree/index.js'

/** The setup command configured for `repo` (lower-cased `owner/repo`): its own, else worktree.setup. Pure. */
export function setupCommandFor(config: Pick<Config, 'worktree' | 'repoSetup'>, repo: string): string | undefined {
  return config.repoSetup[repo.toLowerCase()] ?? config.worktree.setup
}

/**
 * Does this dispatch bootstrap its worktree? A new one (created, or an
 * existing branch checked out) gets the include copy and the setup; a reused
 * one or the checkout itself only the setup, and only with --setup.
 * --no-setup skips the setup always. No `.worktreeinclude`, nothing to copy. Pure.
 */
export function bootstrapSteps(action: WorktreePlan['action'], setupFlag: boolean | undefined, command: string | undefined, hasIncludeFile: boolean): {include: boolean; setup?: string} {
  const fresh = action === 'create' || action === 'checkout'
  const runSetup = setupFlag === undefined ? fresh : setupFlag
  return {include: fresh && hasIncludeFile, ...(command && runSetup ? {setup: command} : {})}
}

/** Environment variables that are credentials: the setup never sees them. Pure. */
export function setupEnv(workerEnv: NodeJS.ProcessEnv, tokenNames: readonly string[]): NodeJS.ProcessEnv {
  const out = {...workerEnv}
  for (const name of tokenNames) delete out[name]
  return out
}

export interface SetupRun {
  command: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Output (stdout and stderr) is appended here. */
  logPath: string
  timeoutMs: number
  /** The shell that runs the command: the user's $SHELL, else /bin/sh. */
  shell: string
  /** Told how to kill the setup (a dispatch interrupted by Ctrl-C must not leave it running); returns its own undo. */
  onKill?: (kill: () => void) => () => void
  /** Told the setup's pid (the leader of its process group) once it runs; awaited before the setup is waited for. */
  onSpawn?: (pid: number) => Promise<void>
}

export interface SetupOutcome {
  ok: boolean
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  durationMs: number
  /** Why the shell could not be started at all. */
  spawnError?: string
}

/** How long a setup gets between SIGTERM and SIGKILL once its time is up. */
const KILL_GRACE_MS = 3000

/**
 * Run the setup in its own process group and wait for it. On timeout the
 * whole group gets SIGTERM, then SIGKILL: a `npm install` leaves children
 * that must not outlive the dispatch.
 */
export async function runSetup(run: SetupRun): Promise<SetupOutcome> {
  const started = Date.now()
  const fd = openSync(run.logPath, 'a', 0o600)
  writeSync(fd, `dispatch: running worktree setup in ${run.cwd}: ${run.command}\n`)
  try {
    const child = spawn(run.shell, ['-c', run.command], {cwd: run.cwd, env: run.env, stdio: ['ignore', fd, fd], detached: true})
    let spawnError: string | undefined
    const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
      child.once('error', (error) => {
        // The shell itself could not start ($SHELL names a missing program): say so where the tail is read.
        spawnError = `could not start ${run.shell}: ${error.message}`
        writeSync(fd, `dispatch: ${spawnError}\n`)
        resolve({code: 127, signal: null})
      })
      child.once('exit', (code, signal) => resolve({code, signal}))
    })
    const group = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal)
      } catch {
        // Already gone.
      }
    }
    const forgetKill = run.onKill?.(() => group('SIGKILL'))
    if (child.pid) await run.onSpawn?.(child.pid)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), run.timeoutMs)
    })
    const first = await Promise.race([exited, timeout])
    clearTimeout(timer)
    let timedOut = false
    let end: {code: number | null; signal: NodeJS.Signals | null}
    if (first === 'timeout') {
      timedOut = true
      group('SIGTERM')
      const graceful = await Promise.race([exited, delay(KILL_GRACE_MS).then(() => undefined)])
      // SIGKILL the group even when the shell died at once: its children may have ignored SIGTERM.
      group('SIGKILL')
      end = graceful ?? (await exited)
    } else {
      // What a finished setup deliberately left running (a database for the worker) is the operator's business.
      end = first
    }
    forgetKill?.()
    const durationMs = Date.now() - started
    const ok = !timedOut && end.code === 0
    const how = spawnError ?? (timedOut ? `timed out after ${run.timeoutMs} ms and was killed` : end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`)
    writeSync(fd, `dispatch: worktree setup ${ok ? 'finished' : 'failed'}: it ${how} (${(durationMs / 1000).toFixed(1)} s)\n`)
    return {ok, exitCode: end.code, signal: end.signal, timedOut, durationMs, ...(spawnError ? {spawnError} : {})}
  } finally {
    closeSync(fd)
  }
}
