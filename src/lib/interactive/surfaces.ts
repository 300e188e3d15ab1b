import {execFile} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {rmSync} from 'node:fs'
import {lstat, mkdir, readdir, rm, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import type {Surface} from '../config/index.js'
import {LAUNCHER_PLACEHOLDERS, fillCommandTemplate, parseCommandTemplate, templateEnv} from '../command-template.js'
import {helperScript} from '../dev-loader.js'
import {FailureError, errorMessage} from '../errors.js'
import {Registry, type SidequestRecord} from '../registry/index.js'
import {shellJoin, shellQuote} from '../shell.js'
import {ensurePrivateDirs} from '../state.js'
import {inertLine} from '../terminal.js'
import {printLine, sessionTitle, tmuxSessionName, warpConfigDir} from './lines.js'
import {HANDOFF_TTL_MS, splitSecrets, startSession, type SessionHandoff, type SessionSpec} from './session.js'

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
}


/**
 * The prompt for a session the operator starts by hand: a 0600 file under the
 * state dir, named in the printed line, since the prompt stays out of argv.
 * NOTE: nobody can delete it at start (the operator's shell opens it); it stays
 * until removed, readable by the operator alone.
 */
async function writePromptFile(spec: Pick<SessionSpec, 'stateDir' | 'prompt' | 'record'>): Promise<string> {
  const dir = path.join(spec.stateDir, 'prompts')
  await mkdir(dir, {recursive: true, mode: 0o700})
  const file = path.join(dir, `${tmuxSessionName(spec.record.ref)}-${randomUUID().slice(0, 8)}.md`)
  await writeFile(file, spec.prompt, {mode: 0o600, flag: 'wx'})
  return file
}

/** Fall back to print: the line to paste, with the prompt in its own file. */
async function printResult(spec: SessionSpec, fallbackReason?: string): Promise<SurfaceResult> {
  const command = printLine(spec, await writePromptFile(spec))
  return {surface: 'print', launched: false, command, ...(fallbackReason ? {fallback_reason: fallbackReason} : {})}
}

function runnerArgv(specFile: string): string[] {
  const runner = helperScript(import.meta.url, 'runner')
  return [process.execPath, ...runner.execArgv, runner.file, specFile]
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {env, timeout: timeoutMs, encoding: 'utf8'}, (error, stdout, stderr) => {
      if (error) reject(new Error((stderr || '').trim().split('\n').pop() || error.message))
      else resolve(stdout.trim())
    })
  })
}

async function waitForRecord(registry: Registry, launchId: string, timeoutMs: number): Promise<SidequestRecord | undefined> {
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
export function openForeground(spec: SessionSpec): ForegroundSession {
  const session = startSession(spec)
  const started = session.started.then(
    (r) => r,
    () => undefined,
  )
  const result = session.exited.then(
    async (code): Promise<SurfaceResult> => ({surface: 'foreground', launched: true, command: printLine(spec), pid: (await started)?.pid, exit_code: code}),
    (error: unknown) => printResult(spec, `foreground: ${errorMessage(error)}`),
  )
  return {started, result}
}

/**
 * Open the session on a surface. Whatever fails to launch falls back to
 * print: the reason is returned, nothing is left running, no record remains.
 */
export async function launchSurface(input: LaunchInput): Promise<SurfaceResult> {
  const {spec, env} = input
  const command = printLine(spec)
  if (input.surface === 'print') return printResult(spec)

  if (input.surface === 'foreground') return openForeground(spec).result

  // The other surfaces start the session runner in another terminal; it writes the record.
  const launchId = randomUUID()
  const sessions = await ensurePrivateDirs(spec.stateDir, 'sessions')
  await sweepExpiredHandoffs(sessions)
  const specFile = path.join(sessions, `${launchId}.json`)
  const handoff = await startHandoff(spec, specFile, launchId, input.secretNames ?? [])
  const argv = runnerArgv(specFile)
  const registry = new Registry({stateDir: spec.stateDir})
  const title = sessionTitle(spec.record.ref, spec.record.title)
  const fail = async (surface: ConcreteSurface, error: unknown): Promise<SurfaceResult> => {
    await handoff.discard()
    return printResult(spec, `${surface}: ${errorMessage(error)}`)
  }

  let extra: Partial<SurfaceResult> = {}
  try {
    if (input.surface === 'tmux') {
      const windowName = inertLine(spec.record.ref)
      let out: string
      if (env.TMUX) {
        out = await exec('tmux', ['new-window', '-P', '-F', '#{pane_id}', '-n', windowName, '-c', spec.cwd, '--', ...argv], env)
      } else {
        const session = tmuxSessionName(spec.record.ref)
        out = await exec('tmux', ['new-session', '-d', '-P', '-F', '#{pane_id}', '-s', session, '-n', windowName, '-c', spec.cwd, '--', ...argv], env)
        extra = {attach: `tmux attach -t ${shellQuote(session)}`}
      }
      const pane = out.split('\n').pop()!.trim()
      await exec('tmux', ['select-pane', '-t', pane, '-T', title], env).catch(() => {})
      extra.tmux_target = pane
    } else if (input.surface === 'command') {
      if (!input.commandTemplate) throw new Error('interactive.command is not set in the config')
      // No shell: each value is one argument (and a DISPATCH_* variable), byte for byte.
      const values = {cwd: spec.cwd, argv, title, ref: spec.record.ref}
      const [program, ...args] = fillCommandTemplate(parseCommandTemplate(input.commandTemplate, LAUNCHER_PLACEHOLDERS), values)
      await exec(program, args, {...env, ...templateEnv(values)})
    } else if (input.surface === 'warp') {
      const platform = input.platform ?? process.platform
      const dir = warpConfigDir(env, platform, env.HOME ?? '')
      const name = tmuxSessionName(spec.record.ref)
      const file = path.join(dir, `${name}.yaml`)
      const {dump} = await import('js-yaml')
      await mkdir(dir, {recursive: true})
      await writeFile(
        file,
        dump({name, windows: [{tabs: [{title, layout: {cwd: spec.cwd, commands: [{exec: shellJoin(argv)}]}}]}]}, {lineWidth: -1}),
        {mode: 0o600},
      )
      extra = {launch_config: file}
      await exec(platform === 'darwin' ? 'open' : 'xdg-open', [`warp://launch/${encodeURIComponent(path.basename(file))}`], env)
    }
  } catch (error) {
    return fail(input.surface, error)
  }

  try {
    const record = await waitForRecord(registry, launchId, input.startTimeoutMs)
    return {surface: input.surface, launched: true, command, pid: record?.pid, ...extra}
  } finally {
    // A terminal that starts later still finds the file (until it expires), but no secrets.
    handoff.closeSocket()
  }
}

/**
 * Write the handoff file (0600, exclusive, no secret values) and serve the
 * secrets once on a unix socket beside it while dispatch waits for the
 * session. NOTE: only this user can reach the socket (the directory is 0700).
 */
async function startHandoff(spec: SessionSpec, specFile: string, launchId: string, extraSecretNames: readonly string[]) {
  const {plain, secrets} = splitSecrets(spec.env, extraSecretNames)
  const socketPath = specFile.replace(/\.json$/, '.sock')
  let server: Server | undefined
  // Unix socket paths are short (108 bytes); past that the runner takes secrets from its own environment.
  if (Object.keys(secrets).length > 0 && Buffer.byteLength(socketPath) < 100) {
    server = createServer((socket) => {
      socket.end(JSON.stringify(secrets))
      server?.close()
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(socketPath, () => resolve())
    }).catch(() => {
      server = undefined
    })
  }
  const handoff: SessionHandoff = {
    ...spec,
    env: plain,
    record: {...spec.record, launch_id: launchId},
    secret_names: Object.keys(secrets),
    secrets_socket: server ? socketPath : undefined,
    expires_at: Date.now() + HANDOFF_TTL_MS,
  }
  const closeSocket = () => {
    server?.close()
    server = undefined
    rmSync(socketPath, {force: true})
  }
  try {
    await writeFile(specFile, JSON.stringify(handoff), {mode: 0o600, flag: 'wx'})
  } catch (error) {
    closeSocket()
    await rm(specFile, {force: true})
    throw new FailureError(`Cannot write the session handoff ${specFile}: ${errorMessage(error)}.`, 'Check free space and permissions of the state directory.')
  }
  return {closeSocket, discard: async () => {
    closeSocket()
    await rm(specFile, {force: true})
  }}
}

/** Handoff files nobody picked up are removed once they expire. */
async function sweepExpiredHandoffs(dir: string): Promise<void> {
  const now = Date.now()
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name)
    const st = await lstat(file).catch(() => undefined)
    if (st && now - st.mtimeMs > HANDOFF_TTL_MS) await rm(file, {force: true}).catch(() => {})
  }
}
