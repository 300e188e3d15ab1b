// What runs outside a worker's sandbox for as long as the worker does: the
// filtering proxy (proxy.ts) and, for workers that may dispatch, the relay
// (relay.ts). Both listen on unix sockets in one private directory, which the
// sandbox binds in; the bridge (bridge.ts) inside connects to them.
import {chmod, lstat, mkdir, rm} from 'node:fs/promises'
import path from 'node:path'

import {FailureError} from '../errors.js'
import {startProxy, type Lookup, type ProxyLimits} from './proxy.js'
import {startRelay} from './relay.js'

export {allowListFor} from './allow.js'

export interface SandboxServices {
  proxySocket: string
  relaySocket?: string
  close(): Promise<void>
}

export interface SandboxServicesOptions {
  /** A directory for the sockets; made (0700) if missing, and must be ours and private. */
  dir: string
  /** allowListFor(config, env). */
  allow: string[]
  /** Carry out the worker's `dispatch headless|cascade|status|sidequests list|conflicts` (relay.ts). */
  relay?: {env: NodeJS.ProcessEnv; cascadeDepth: number; configPath?: string; cwd?: string; dispatchArgs?: readonly string[]; bin?: string}
  /** One line per refused network request (the sandbox writes it to the worker's log). */
  onDenied?: (line: string) => void
  lookup?: Lookup
  limits?: Partial<ProxyLimits>
}

/** sun_path is 108 bytes on Linux, 104 on macOS, with the terminating NUL. */
const MAX_SOCKET_PATH = 103

async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, {recursive: true, mode: 0o700})
  const st = await lstat(dir)
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) {
    throw new FailureError(`The sandbox's socket directory ${dir} is not a directory of yours.`, 'Remove it and dispatch again.')
  }
  // NOTE: the sockets are 0600 only once listening; the directory keeps others out before that.
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700)
}

/**
 * Start the proxy (and the relay when asked) for one sandboxed worker.
 * close() stops both and every connection and relayed command.
 */
export async function startSandboxServices(opts: SandboxServicesOptions): Promise<SandboxServices> {
  const proxySocket = path.join(opts.dir, 'proxy.sock')
  const relaySocket = opts.relay ? path.join(opts.dir, 'relay.sock') : undefined
  for (const s of [proxySocket, relaySocket]) {
    if (s && Buffer.byteLength(s) > MAX_SOCKET_PATH) {
      throw new FailureError(`The sandbox's socket path ${s} is longer than a unix socket allows (${MAX_SOCKET_PATH} bytes).`, 'Set a shorter stateDir in the config (the sockets live under it).')
    }
  }
  await privateDir(opts.dir)
  // A socket left by a worker whose dispatch was killed would refuse the new one.
  for (const s of [proxySocket, relaySocket]) if (s) await rm(s, {force: true})
  const proxy = await startProxy({socketPath: proxySocket, allow: opts.allow, onDenied: opts.onDenied, lookup: opts.lookup, limits: opts.limits})
  let relay
  try {
    relay = opts.relay && (await startRelay({socketPath: relaySocket!, ...opts.relay}))
  } catch (error) {
    await proxy.close()
    throw error
  }
  return {
    proxySocket,
    relaySocket,
    async close() {
      await Promise.all([proxy.close(), relay?.close()])
    },
  }
}
