/**
 * Where an interactive session opens (SPEC §6): choosing the surface, and
 * launching it. print.ts writes the paste line, terminals.ts opens tmux,
 * a command or Warp, handoff.ts passes the session to the runner there.
 */
import {randomUUID} from 'node:crypto'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import type {Surface} from '../config/index.js'
import {FailureError, errorMessage} from '../errors.js'
import type {Registry, SidequestRecord} from '../registry/index.js'
import {ensurePrivateDirs} from '../state.js'
import {inertLine} from '../terminal.js'
import {startHandoff, sweepExpiredHandoffs} from './handoff.js'
import {printLine, sessionTitle} from './lines.js'
import {printResult} from './print.js'
import {startSession, type SessionSpec} from './session.js'
import {openTerminal, runnerArgv} from './terminals.js'

export {TITLE_MAX, printLine, sessionTitle, tmuxSessionName, warpConfigDir} from './lines.js'

export type ConcreteSurface = Exclude<Surface, 'auto'>

/** auto: tmux inside tmux, else foreground on a TTY, else print (SPEC §6). Pure. */
export function chooseSurface(requested: Surface, env: NodeJS.ProcessEnv, stdinTTY: boolean, stdoutTTY: boolean): ConcreteSurface {
  if (requested !== 'auto') return requested
  if (env.TMUX) return 'tmux'
  if (stdinTTY && stdoutTTY) return 'foreground'
  return 'print'
}

export interface SurfaceResult {
  surface: ConcreteSurface
  /** Whether a Claude session is running (or ran, for foreground) because of this dispatch. */
  launched: boolean
  /** The claude command line; for print (and every fallback) the line to paste, which reads the prompt from a 0600 file. */
  command: string
  pid?: number
  exit_code?: number
  /** tmux outside tmux: how to get to the new session. */
  attach?: string
  /** Set when a surface failed and dispatch fell back to print. */
  fallback_reason?: string
  /** Warp: the launch configuration written. */
  launch_config?: string
  tmux_target?: string
  /** print: when the line stops working and its hold on the issue ends (ISO). */
  expires_at?: string
}

/**
 * A surface the operator asked for by name (flag or config) that fell back to
 * print is a failure: a script or a person waiting for a tmux window must
 * learn it never opened. auto promised nothing but a session somewhere, so its
 * fallback is still a success. `lineShown`: the paste line is already on
 * stdout (human output); otherwise the error carries it. Pure.
 */
export function fallbackFailure(requested: Surface, outcome: SurfaceResult, lineShown: boolean): FailureError | undefined {
  if (requested === 'auto' || !outcome.fallback_reason) return undefined
  return new FailureError(
    `Could not open the session on ${requested} (${inertLine(outcome.fallback_reason)}); nothing is running.`,
    lineShown ? 'Start it yourself with the line printed above, or pick another --surface.' : `Start it yourself: ${outcome.command}`,
  )
}

export interface LaunchInput {
  surface: ConcreteSurface
  spec: SessionSpec
  /** `interactive.command` template. */
  commandTemplate?: string
  env: NodeJS.ProcessEnv
  /** How long to wait for a launched terminal's session to write its record. */
  startTimeoutMs: number
  platform?: NodeJS.Platform
  /** Variables besides the usual *TOKEN*, *SECRET*, … that hold secrets (forgejo.tokenEnv). */
  secretNames?: string[]
  /** The run's registry: where the session's record appears. */
  registry: Registry
}

async function waitForRecord(registry: Pick<Registry, 'all'>, launchId: string, timeoutMs: number): Promise<SidequestRecord | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = (await registry.all()).find((r) => (r as SidequestRecord & {launch_id?: string}).launch_id === launchId)
    if (found) return found
    if (Date.now() > deadline) return undefined
    await delay(50)
  }
}

/** A foreground session: `started` once claude runs and its record is written (undefined if it never did), `result` when it ends. */
export interface ForegroundSession {
  started: Promise<SidequestRecord | undefined>
  result: Promise<SurfaceResult>
}

/** Run claude in this terminal; a spawn failure falls back to print. */
export function openForeground(spec: SessionSpec, registry: Registry, secretNames: readonly string[] = []): ForegroundSession {
  const session = startSession(spec, registry)
  const started = session.started.then(
    (r) => r,
    () => undefined,
  )
  const result = session.exited.then(
    async (code): Promise<SurfaceResult> => ({surface: 'foreground', launched: true, command: printLine(spec), pid: (await started)?.pid, exit_code: code}),
    (error: unknown) => printResult(spec, registry, secretNames, `foreground: ${errorMessage(error)}`),
  )
  return {started, result}
}

/**
 * Open the session on a surface. Whatever fails to launch falls back to
 * print: the reason is returned, nothing is left running, no record remains.
 */
export async function launchSurface(input: LaunchInput): Promise<SurfaceResult> {
  const {spec} = input
  const command = printLine(spec)
  if (input.surface === 'print') return printResult(spec, input.registry, input.secretNames)

  if (input.surface === 'foreground') return openForeground(spec, input.registry).result

  // The other surfaces start the session runner in another terminal; it writes the record.
  const launchId = randomUUID()
  const sessions = await ensurePrivateDirs(spec.stateDir, 'sessions')
  await sweepExpiredHandoffs(sessions)
  const specFile = path.join(sessions, `${launchId}.json`)
  const handoff = await startHandoff(spec, specFile, launchId, input.secretNames ?? [])
  const argv = runnerArgv(specFile)
  const title = sessionTitle(spec.record.ref, spec.record.title)
  const fail = async (surface: ConcreteSurface, error: unknown): Promise<SurfaceResult> => {
    await handoff.discard()
    return printResult(spec, input.registry, input.secretNames, `${surface}: ${errorMessage(error)}`)
  }

  let extra: Partial<SurfaceResult> = {}
  try {
    extra = await openTerminal(input, spec, argv, title)
  } catch (error) {
    return fail(input.surface, error)
  }

  try {
    const record = await waitForRecord(input.registry, launchId, input.startTimeoutMs)
    return {surface: input.surface, launched: true, command, pid: record?.pid, ...extra}
  } finally {
    // A terminal that starts later still finds the file (until it expires), but no secrets.
    handoff.closeSocket()
  }
}
