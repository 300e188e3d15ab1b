// The filtering proxy outside the sandbox. A sandboxed worker has only its
// own loopback; the bridge inside (bridge.ts) forwards its proxy connections
// to this server's unix socket. It takes `CONNECT host:port` (HTTPS, any
// TLS) and plain HTTP requests with an absolute URI, lets through only
// targets on the allow list (allow.ts), and connects to the address it
// resolved itself, so what it checked is what it reaches.
import http from 'node:http'
import net from 'node:net'
import type {Duplex} from 'node:stream'

import {formatTarget, parseAllowEntry, splitHostPort, type AllowEntry} from './allow.js'
import {listenPrivately} from './listen.js'
import {decideTarget, inert, systemLookup, type Decision, type Lookup} from './proxy-policy.js'

export type {Lookup} from './proxy-policy.js'

export interface ProxyLimits {
  /** Client connections at once (each tunnel holds one). */
  maxConnections: number
  /** Bytes of request line and headers. */
  maxHeaderBytes: number
  /** A connection or tunnel with no bytes either way for this long is closed. */
  idleMs: number
  /** Time to receive a request's headers, and to connect upstream. */
  headersMs: number
}

export const DEFAULT_LIMITS: ProxyLimits = {maxConnections: 128, maxHeaderBytes: 16 * 1024, idleMs: 10 * 60_000, headersMs: 30_000}

export interface ProxyOptions {
  /** The unix socket to listen on; its directory should be private (0700). */
  socketPath: string
  /** `sandbox.allowNetwork`-style entries (allowListFor); invalid ones are ignored. */
  allow: readonly string[]
  /** One line per refused request, for the worker's log. */
  onDenied?: (line: string) => void
  lookup?: Lookup
  limits?: Partial<ProxyLimits>
}

export interface FilteringProxy {
  socketPath: string
  close(): Promise<void>
}

/** Distinct denial lines written at most; then one line says the rest are not. */
const MAX_DENIAL_LINES = 100

/**
 * Start the proxy. Resolves once it listens (socket mode 0600). close()
 * stops it and destroys every client and upstream socket.
 */
export async function startProxy(opts: ProxyOptions): Promise<FilteringProxy> {
  const limits = {...DEFAULT_LIMITS, ...opts.limits}
  const entries = opts.allow.map((a) => parseAllowEntry(a)).filter((e): e is AllowEntry => e !== undefined)
  const lookup = opts.lookup ?? systemLookup
  const sockets = new Set<Duplex>()
  const track = (s: Duplex): void => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  }
  const logged = new Set<string>()
  const deny = (line: string): void => {
    if (!opts.onDenied || logged.has(line) || logged.size > MAX_DENIAL_LINES) return
    if (logged.size === MAX_DENIAL_LINES) line = `sandbox network: more than ${MAX_DENIAL_LINES} different requests refused; further refusals are not logged`
    logged.add(line)
    opts.onDenied(line)
  }

  const decide = (method: string, host: string, port: number): Promise<Decision> => decideTarget(entries, lookup, method, host, port)

  /** Connect to the first address that answers, in the resolver's order. */
  function connectUpstream(addresses: string[], port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const attempt = (i: number, lastError?: Error): void => {
        if (i >= addresses.length) return reject(lastError ?? new Error('no address'))
        const up = net.connect({host: addresses[i], port})
        track(up)
        let connected = false
        up.setTimeout(limits.headersMs, () => up.destroy(new Error('connect timed out')))
        up.once('connect', () => {
          connected = true
          up.setTimeout(limits.idleMs, () => up.destroy())
          resolve(up)
        })
        // Once connected, errors end the tunnel through the 'close' listeners.
        up.on('error', (error) => connected || attempt(i + 1, error))
      }
      attempt(0)
    })
  }

  const server = http.createServer({maxHeaderSize: limits.maxHeaderBytes, requestTimeout: 0, headersTimeout: limits.headersMs})
  server.maxConnections = limits.maxConnections
  server.keepAliveTimeout = limits.idleMs
  server.on('connection', (s: net.Socket) => {
    track(s)
    s.setTimeout(limits.idleMs, () => s.destroy())
  })
  server.on('clientError', (error: NodeJS.ErrnoException, s: Duplex) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'
    if (s.writable) s.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    else s.destroy()
  })

  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => client.destroy())
    const reply = (status: number, reason: string, body: string): void => {
      client.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    }
    const split = splitHostPort(req.url ?? '')
    if (!split?.port) return reply(400, 'Bad Request', 'dispatch sandbox: CONNECT needs host:port\n')
    const {host, port} = split
    void decide('CONNECT', host, port).then(async (d) => {
      if (!d.ok) {
        if (d.line) deny(d.line)
        return reply(d.status, d.status === 403 ? 'Forbidden' : 'Bad Gateway', d.body)
      }
      let up: net.Socket
      try {
        up = await connectUpstream(d.addresses, port)
      } catch (error) {
        return reply(502, 'Bad Gateway', `dispatch sandbox: cannot connect to ${inert(formatTarget(host, port))}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`)
      }
      if (client.destroyed) return up.destroy()
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) up.write(head)
      up.on('error', () => client.destroy())
      up.on('close', () => client.destroy())
      client.on('close', () => up.destroy())
      up.pipe(client)
      client.pipe(up)
    })
  })

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const fail = (status: number, body: string): void => {
      res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', connection: 'close'})
      res.end(body)
    }
    let url: URL
    try {
      url = new URL(req.url ?? '')
    } catch {
      return fail(400, 'dispatch sandbox: this is a proxy; send absolute http:// URLs, or CONNECT for https\n')
    }
    if (url.protocol !== 'http:') return fail(400, 'dispatch sandbox: only http:// URLs go through as plain requests; use CONNECT for https\n')
    const host = url.hostname
    const port = url.port ? Number(url.port) : 80
    void decide(req.method ?? 'GET', host, port).then((d) => {
      if (!d.ok) {
        if (d.line) deny(d.line)
        return fail(d.status, d.body)
      }
      const headers = {...req.headers}
      for (const h of ['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive']) delete headers[h]
      // The host checked is the host asked: a Host header naming another site on the same server (a CDN) is replaced (RFC 9112 §3.2.2).
      headers.host = url.host
      // NOTE: to the address checked, never to a second lookup of the name.
      const up = http.request({host: d.addresses[0], port, method: req.method, path: url.pathname + url.search, headers, setHost: false, agent: false, timeout: limits.idleMs})
      up.on('socket', (s) => track(s))
      up.on('timeout', () => up.destroy(new Error('timed out')))
      up.on('error', (error) => (res.headersSent ? res.destroy() : fail(502, `dispatch sandbox: ${inert(formatTarget(host, port))}: ${(error as NodeJS.ErrnoException).code ?? error.message}\n`)))
      up.on('response', (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      })
      // The client gave up: so does the request it made.
      res.on('close', () => up.destroy())
      req.pipe(up)
    })
  })

  await listenPrivately(server, opts.socketPath)
  return {
    socketPath: opts.socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      }),
  }
}
