// Runs INSIDE the sandbox, once per worker, in front of claude:
//
//   node bridge.js --proxy-socket <path> [--relay-socket <path>] -- <argv...>
//
// The sandbox has its own network namespace with nothing but loopback, so
// tools cannot reach the proxy outside by TCP. The bridge listens on
// 127.0.0.1:<free port> in that namespace and forwards every connection,
// byte for byte, to the proxy's unix socket (bound into the sandbox); it
// runs argv with HTTPS_PROXY/HTTP_PROXY pointing at that port, passes
// signals on, and exits with the child's code (128+signal when killed).
// NOTE: imports node built-ins only: it starts on every worker's critical path.
import {spawn} from 'node:child_process'
import {realpathSync} from 'node:fs'
import net from 'node:net'
import {constants} from 'node:os'
import {fileURLToPath} from 'node:url'

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']

export interface BridgeArgs {
  proxySocket: string
  relaySocket?: string
  argv: string[]
}

/** Parse the bridge's own arguments. Pure; undefined when they are wrong. */
export function parseBridgeArgs(args: readonly string[]): BridgeArgs | undefined {
  const out: Partial<BridgeArgs> = {}
  let i = 0
  for (; i < args.length && args[i] !== '--'; i += 2) {
    const value = args[i + 1]
    if (value === undefined || value === '--') return undefined
    if (args[i] === '--proxy-socket') out.proxySocket = value
    else if (args[i] === '--relay-socket') out.relaySocket = value
    else return undefined
  }
  const argv = args.slice(i + 1)
  if (!out.proxySocket || argv.length === 0) return undefined
  return {proxySocket: out.proxySocket, relaySocket: out.relaySocket, argv}
}

/** The child's environment: every proxy variable at the bridge, no exceptions. Pure. */
export function bridgeEnv(env: NodeJS.ProcessEnv, port: number, relaySocket?: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {...env}
  // NOTE: a NO_PROXY from outside would send those hosts direct, which cannot work in here.
  for (const name of ['NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']) delete out[name]
  const url = `http://127.0.0.1:${port}`
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) out[name] = url
  // Node's own fetch honours the variables only when asked (Node 22.21+ and 24).
  out.NODE_USE_ENV_PROXY = '1'
  if (relaySocket) out.DISPATCH_RELAY_SOCKET = relaySocket
  else delete out.DISPATCH_RELAY_SOCKET
  return out
}

function main(): void {
  const args = parseBridgeArgs(process.argv.slice(2))
  if (!args) {
    process.stderr.write('usage: bridge.js --proxy-socket <path> [--relay-socket <path>] -- <command> [args...]\n')
    process.exit(2)
  }
  const server = net.createServer((client) => {
    const up = net.connect(args.proxySocket)
    const end = (): void => {
      client.destroy()
      up.destroy()
    }
    client.on('error', end).on('close', end)
    up.on('error', end).on('close', end)
    client.pipe(up).pipe(client)
  })
  server.on('error', (error) => {
    process.stderr.write(`dispatch sandbox bridge: cannot listen on loopback: ${error.message}\n`)
    process.exit(1)
  })
  server.listen(0, '127.0.0.1', () => {
    const {port} = server.address() as net.AddressInfo
    const child = spawn(args.argv[0], args.argv.slice(1), {stdio: 'inherit', env: bridgeEnv(process.env, port, args.relaySocket)})
    for (const signal of FORWARDED) process.on(signal, () => child.kill(signal))
    child.on('error', (error) => {
      process.stderr.write(`dispatch sandbox bridge: cannot run ${args.argv[0]}: ${error.message}\n`)
      process.exit(127)
    })
    // NOTE: exit even while a tunnel is open: a daemon the worker left behind must not hold the sandbox up.
    child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)))
  })
}

// Run as a program, not when a test imports the pure parts.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main()
