// The cascade relay, outside the sandbox. Inside, dispatch's state and config
// are not readable, so a sandboxed worker's `dispatch headless|cascade|status|
// sidequests list|conflicts` is carried out here: bin/run.js inside sees
// DISPATCH_RELAY_SOCKET and sends {argv, cwd} (relay-client.ts); this runs
// dispatch with the operator's environment and config and the cascade budget
// the relay was given, and streams the output and exit code back. The
// sub-dispatch's worker is sandboxed by that dispatch in turn.
//
// Protocol: the client writes one JSON line; the relay answers with JSON
// lines {t:'o'|'e', d:<base64>} (stdout, stderr) and ends with {t:'x', code}.
import {spawn, type ChildProcess} from 'node:child_process'
import {realpathSync, statSync} from 'node:fs'
import net from 'node:net'
import {constants} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {EXIT} from '../errors.js'
import {listenPrivately} from './listen.js'
import {relayDecision} from './relay-policy.js'

export interface RelayOptions {
  socketPath: string
  /** The operator's environment, for the relayed dispatch (never the worker's). */
  env: NodeJS.ProcessEnv
  /** DISPATCH_CASCADE_DEPTH for relayed commands: the sandboxed worker's budget, whatever it sets. */
  cascadeDepth: number
  /** DISPATCH_CONFIG for relayed commands. */
  configPath?: string
  /** Relayed commands run in the worker's cwd only when it is inside this directory (the worktree); else here. */
  cwd?: string
  /**
   * Added after the command of a relayed headless/cascade, so the sub-worker is sandboxed too even
   * when the config alone would not sandbox it (the parent was sandboxed by --sandbox, or the
   * sub-issue's repository says `kind: none`). Default: `--sandbox bubblewrap`.
   */
  dispatchArgs?: readonly string[]
  /** The dispatch entry point (default: this package's bin/run.js). */
  bin?: string
}

export interface Relay {
  socketPath: string
  close(): Promise<void>
}

/** The relay's request, as the client in the sandbox sends it. */
export interface RelayRequest {
  argv: string[]
  cwd: string
  /** The worker's Claude session, recorded as the sub-worker's parent. */
  session?: string
}

const MAX_REQUEST_BYTES = 256 * 1024
const MAX_AT_ONCE = 8
/** The relay serves sandboxed workers only, and bubblewrap is the one sandbox there is. */
const SANDBOXED = ['--sandbox', 'bubblewrap']
const DEFAULT_BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

function parseRequest(line: string): RelayRequest | undefined {
  try {
    const r = JSON.parse(line) as RelayRequest
    if (!Array.isArray(r.argv) || !r.argv.every((a) => typeof a === 'string') || typeof r.cwd !== 'string') return undefined
    if (r.session !== undefined && (typeof r.session !== 'string' || !/^[\w-]{1,128}$/.test(r.session))) return undefined
    return r
  } catch {
    return undefined
  }
}

function inside(dir: string, root: string): boolean {
  const rel = path.relative(root, dir)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Where a relayed command runs: the worker's cwd when it is a directory under `root`. */
function chooseCwd(wanted: string, root: string | undefined): string {
  const fallback = root ?? process.cwd()
  try {
    const real = realpathSync(wanted)
    if (!statSync(real).isDirectory()) return fallback
    if (root && !inside(real, realpathSync(root))) return fallback
    return real
  } catch {
    return fallback
  }
}

/** The relayed dispatch's environment. Pure. */
export function relayEnv(opts: Pick<RelayOptions, 'env' | 'cascadeDepth' | 'configPath'>, session: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...opts.env, DISPATCH_CASCADE_DEPTH: String(opts.cascadeDepth)}
  delete env.DISPATCH_RELAY_SOCKET
  if (opts.configPath) env.DISPATCH_CONFIG = opts.configPath
  if (session) env.CLAUDE_CODE_SESSION_ID = session
  else delete env.CLAUDE_CODE_SESSION_ID
  return env
}

/** Start the relay on a unix socket (mode 0600). close() ends relayed commands still running. */
export async function startRelay(opts: RelayOptions): Promise<Relay> {
  const children = new Set<ChildProcess>()
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    const frame = (f: object): void => {
      if (!socket.destroyed) socket.write(JSON.stringify(f) + '\n')
    }
    const finish = (code: number, text?: string): void => {
      if (text) frame({t: 'e', d: Buffer.from(text + '\n').toString('base64')})
      frame({t: 'x', code})
      socket.end()
    }
    let buffered = ''
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8')
      const nl = buffered.indexOf('\n')
      if (nl === -1) {
        if (buffered.length > MAX_REQUEST_BYTES) finish(EXIT.usage, 'dispatch relay: request too large')
        return
      }
      socket.off('data', onData)
      const request = parseRequest(buffered.slice(0, nl))
      if (!request) return finish(EXIT.usage, 'dispatch relay: malformed request')
      const decision = relayDecision(request.argv)
      if (!decision.ok) return finish(EXIT.refused, `${decision.message}\n${decision.suggestion}`)
      if (children.size >= MAX_AT_ONCE) return finish(EXIT.refused, `dispatch relay: ${MAX_AT_ONCE} relayed commands are already running; wait for one to finish.`)
      const argv = [...request.argv]
      if (decision.command === 'headless' || decision.command === 'cascade') argv.splice(argv.indexOf(decision.command) + 1, 0, ...(opts.dispatchArgs ?? SANDBOXED))
      const child = spawn(process.execPath, [opts.bin ?? DEFAULT_BIN, ...argv], {
        cwd: chooseCwd(request.cwd, opts.cwd),
        env: relayEnv(opts, request.session),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.add(child)
      // A worker that stops reading holds the command up, not the relay's memory.
      let paused = false
      const forward = (t: 'o' | 'e') => (d: Buffer) => {
        frame({t, d: d.toString('base64')})
        if (!paused && socket.writableNeedDrain) {
          paused = true
          child.stdout!.pause()
          child.stderr!.pause()
          socket.once('drain', () => {
            paused = false
            child.stdout!.resume()
            child.stderr!.resume()
          })
        }
      }
      child.stdout!.on('data', forward('o'))
      child.stderr!.on('data', forward('e'))
      child.on('error', (error) => {
        children.delete(child)
        finish(EXIT.failure, `dispatch relay: cannot run dispatch: ${error.message}`)
      })
      child.on('close', (code, signal) => {
        children.delete(child)
        finish(code ?? 128 + (signal ? constants.signals[signal] : 0))
      })
      // The worker gave up (Ctrl-C, its sandbox ended): so does the command it asked for.
      socket.on('close', () => child.exitCode === null && child.kill('SIGTERM'))
    }
    socket.on('data', onData)
  })
  await listenPrivately(server, opts.socketPath)
  return {
    socketPath: opts.socketPath,
    close: async () => {
      const exits = [...children].map((c) => new Promise((resolve) => (c.exitCode === null && c.signalCode === null ? c.once('close', resolve) : resolve(undefined))))
      for (const c of children) {
        c.kill('SIGTERM')
        // NOTE: a dispatch that ignores SIGTERM must not hold the worker's teardown forever.
        setTimeout(() => c.kill('SIGKILL'), 10_000).unref()
      }
      await Promise.all(exits)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
