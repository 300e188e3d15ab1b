/**
 * Session runner: what tmux, Warp or a configured terminal command actually
 * starts. It reads its handoff file from the state dir (deleting it at once:
 * it holds the prompt), refuses one that has expired, fetches the secret
 * environment values from dispatch's socket (no file holds them), runs claude
 * in this terminal, and keeps the registry record.
 * Usage: node runner.js <spec.json>
 */
import {readFileSync, unlinkSync} from 'node:fs'
import {connect} from 'node:net'

import {Registry} from '../registry/index.js'
import {startSession, type SessionHandoff, type SessionSpec} from './session.js'

const file = process.argv[2]

function fail(message: string): never {
  process.stderr.write(`dispatch: ${message}\n`)
  process.exit(1)
}

function fetchSecrets(socketPath: string): Promise<Record<string, string> | undefined> {
  return new Promise((resolve) => {
    let data = ''
    const socket = connect(socketPath)
    const timer = setTimeout(() => socket.destroy(), 5000)
    socket.on('data', (d) => (data += d))
    socket.on('error', () => resolve(undefined))
    socket.on('close', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(data) as Record<string, string>)
      } catch {
        resolve(undefined)
      }
    })
  })
}

let handoff: SessionHandoff
try {
  handoff = JSON.parse(readFileSync(file, 'utf8')) as SessionHandoff
} catch (error) {
  // A print line's handoff goes when the line is used, stopped or expired.
  if ((error as NodeJS.ErrnoException).code === 'ENOENT' && /\/print-[^/]+\.json$/.test(file)) fail('this print line was stopped, has expired or was already used; run dispatch interactive again')
  fail(`cannot read the session spec ${file}: ${(error as Error).message}`)
} finally {
  try {
    unlinkSync(file)
  } catch {}
}
if (!(handoff!.expires_at > Date.now())) fail(`the session spec ${file} has expired; run dispatch interactive again`)

const fromDispatch = handoff!.secrets_socket ? await fetchSecrets(handoff!.secrets_socket) : undefined
// Without dispatch's answer (it stopped waiting), secrets come from this terminal's own environment.
const secrets: NodeJS.ProcessEnv = {}
for (const name of handoff!.secret_names ?? []) {
  const value = fromDispatch?.[name] ?? process.env[name]
  if (value !== undefined) secrets[name] = value
}
const {secret_names: _names, secrets_socket: _socket, expires_at: _expires, print_key: _print, ...rest} = handoff!
const spec: SessionSpec = {...rest, env: {...rest.env, ...secrets}}
// In a tmux pane, remember which one: `dispatch stop` closes it. (Only here: the foreground
// surface runs in the operator's own pane, which is not dispatch's to close.)
// A pasted print line runs in the operator's own pane, which is not dispatch's to close either.
const {TMUX, TMUX_PANE} = process.env
if (TMUX && TMUX_PANE && !handoff!.print_key) spec.record = {...spec.record, tmux: {socket: TMUX.split(',')[0], pane: TMUX_PANE}}
// This process is its own composition root: the one Registry of its run.
const registry = new Registry({stateDir: spec.stateDir})
const printKey = handoff!.print_key
if (printKey) {
  // The print line's hold: a session starts only while it holds the place (not stopped, not expired).
  const hold = await registry.get(printKey)
  if (!hold || hold.ended_at) fail(`the print session of ${spec.record.ref} was stopped or has expired; run dispatch interactive again`)
}
const session = startSession(spec, registry)
// Once the session's own record is written, the placeholder has done its job.
if (printKey) session.started.then(() => registry.remove(printKey)).catch(() => {})
session.exited.then(
  (code) => process.exit(code),
  (error: Error) => fail(`could not start ${spec.claudeBin}: ${error.message}`),
)
