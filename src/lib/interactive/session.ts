import {spawn} from 'node:child_process'

import {processStartTime} from '../proc.js'
import type {Registry, SidequestRecord} from '../registry/index.js'
import {sandboxCommand, type SandboxedCommand} from '../sandbox/launch.js'
import type {SandboxSpec} from '../sandbox/layout.js'
import {exitCodeOf, exitSignalOf} from '../worker/exit.js'

/** What a terminal needs to run one interactive Claude session and keep its record. */
export interface SessionSpec {
  claudeBin: string
  /** argv after the binary; never the prompt. */
  args: string[]
  /** Written to claude's stdin, which claude takes as the first message (the keyboard comes from /dev/tty). */
  prompt: string
  /** attach: claude takes this terminal's stdin as it is (a resumed session has no prompt to hand it). */
  inheritStdin?: boolean
  cwd: string
  env: NodeJS.ProcessEnv
  stateDir: string
  record: Omit<SidequestRecord, 'pid' | 'pid_start_time'>
  /** Run claude confined (issue #20); absent: unsandboxed. */
  sandbox?: SandboxSpec
}

/** A session whose claude was spawned: `started` once its record is on disk, `exited` with claude's exit code. */
export interface RunningSession {
  /** Rejects when claude could not be spawned or its record could not be written. */
  started: Promise<SidequestRecord>
  /** Rejects when claude could not be spawned. */
  exited: Promise<number>
}

/**
 * The spec as written to a handoff file: without secret values (SPEC §5: no
 * token in any file). The runner gets those over a socket dispatch serves
 * while it waits, and refuses a file past `expires_at`.
 */
export interface SessionHandoff extends SessionSpec {
  /** Names whose values the runner asks for over `secrets_socket` (else takes from its own environment). */
  secret_names: string[]
  secrets_socket?: string
  /** ms since the epoch. */
  expires_at: number
  /** Print surface: the placeholder record the runner replaces (and checks is still holding the place). */
  print_key?: string
}

/** How long a handoff file is good for: a terminal that starts later than this gets nothing. */
export const HANDOFF_TTL_MS = 60_000

const SECRET_NAME = /TOKEN|SECRET|PASSW|API_?KEY|CREDENTIAL|AUTH/i

/** Is this environment variable one whose value must never reach a file? Pure. */
function isSecretName(name: string, extra: readonly string[] = []): boolean {
  return SECRET_NAME.test(name) || extra.includes(name)
}

/** Split an environment into what may be written down and the secret values. Pure. */
export function splitSecrets(env: NodeJS.ProcessEnv, extra: readonly string[] = []): {plain: NodeJS.ProcessEnv; secrets: Record<string, string>} {
  const plain: NodeJS.ProcessEnv = {}
  const secrets: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue
    if (isSecretName(k, extra)) secrets[k] = v
    else plain[k] = v
  }
  return {plain, secrets}
}

/**
 * Run claude in this terminal (stdio inherited), with a registry record whose
 * pid is the claude process; mark it ended with claude's exit code. Used by
 * the foreground surface (which holds the registry lock until `started`) and,
 * inside a new terminal, by the session runner the other surfaces start.
 * `registry` is the run's (the runner's own in a new terminal).
 */
export function startSession(spec: SessionSpec, registry: Pick<Registry, 'write' | 'update'>): RunningSession {
  let onStarted!: (record: SidequestRecord) => void
  let notStarted!: (error: Error) => void
  const started = new Promise<SidequestRecord>((resolve, reject) => {
    onStarted = resolve
    notStarted = reject
  })
  started.catch(() => {})
  // Sandboxed, bwrap runs claude in this terminal (no new session: claude keeps the terminal's
  // signals and size) and the record's pid is bwrap's, which exits with claude's code.
  const sandboxed: Promise<SandboxedCommand | undefined> = spec.sandbox ? sandboxCommand(spec.sandbox, spec.claudeBin, spec.args, spec.env) : Promise.resolve(undefined)
  const run = (sandbox: SandboxedCommand | undefined) => new Promise<number>((resolve, reject) => {
    // The prompt goes on stdin (never argv); claude then reads the keyboard from /dev/tty.
    const child = spawn(sandbox?.file ?? spec.claudeBin, sandbox?.args ?? spec.args, {cwd: spec.cwd, env: spec.env, stdio: [spec.inheritStdin ? 'inherit' : 'pipe', 'inherit', 'inherit']})
    child.stdin?.on('error', () => {})
    child.stdin?.end(spec.prompt)
    let written: Promise<unknown> = Promise.resolve()
    // Ctrl-C belongs to claude (same foreground process group); hang-ups and terms are passed on.
    const ignore = () => {}
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
    const onHup = forward('SIGHUP')
    const onTerm = forward('SIGTERM')
    process.on('SIGINT', ignore)
    process.on('SIGHUP', onHup)
    process.on('SIGTERM', onTerm)
    const cleanup = () => {
      process.off('SIGINT', ignore)
      process.off('SIGHUP', onHup)
      process.off('SIGTERM', onTerm)
    }
    child.once('error', async (error) => {
      cleanup()
      await sandbox?.close()
      notStarted(error)
      reject(error)
    })
    child.once('spawn', () => {
      const record: SidequestRecord = {...spec.record, pid: child.pid!, pid_start_time: processStartTime(child.pid!) ?? null, supervisor_pid: process.pid}
      written = registry.write(record).then(() => onStarted(record), notStarted)
    })
    child.once('exit', async (code, signal) => {
      cleanup()
      await sandbox?.close()
      const exitCode = exitCodeOf(code, signal)
      await written.catch(() => {})
      await registry.update(child.pid!, {ended_at: new Date().toISOString(), exit_code: exitCode, exit_signal: exitSignalOf(code, signal)}).catch(() => {})
      resolve(exitCode)
    })
  })
  const exited = sandboxed.then(run, (error: Error) => {
    notStarted(error)
    throw error
  })
  exited.catch(() => {})
  return {started, exited}
}

/** Run a session to its end; resolves with claude's exit code. */
export function runSession(spec: SessionSpec, registry: Pick<Registry, 'write' | 'update'>): Promise<number> {
  return startSession(spec, registry).exited
}
