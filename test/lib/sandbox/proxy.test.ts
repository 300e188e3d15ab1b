import {expect} from 'chai'
import {statSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'

import {startProxy, type FilteringProxy, type ProxyOptions} from '../../../src/lib/sandbox/proxy.js'
import {useTempDir} from '../../support/forge-sandbox.js'
import {waitFor} from '../../support/helpers.js'

interface Reply {
  status: number
  head: string
  body: string
  socket: net.Socket
}

/** Send `request` to the proxy's socket; resolve with the status line's code once the head (and, when closed, body) arrived. */
function ask(socketPath: string, request: string, opts: {wholeBody?: boolean} = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath)
    let data = ''
    const settle = (): void => {
      const end = data.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.removeAllListeners('data')
      resolve({status: Number(data.split(' ')[1]), head: data.slice(0, end), body: data.slice(end + 4), socket})
    }
    socket.on('error', reject)
    socket.on('data', (d) => {
      data += d
      if (!opts.wholeBody) settle()
    })
    socket.on('close', () => (data ? settle() : reject(new Error('closed with no answer'))))
    socket.write(request)
  })
}

const connect = (socketPath: string, target: string): Promise<Reply> => ask(socketPath, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`)

describe('the sandbox filtering proxy', function () {
  this.timeout(30_000)
  const tmp = useTempDir('dispatch-proxy-')
  const open: Array<{close(): unknown}> = []
  const clients: net.Socket[] = []
  let echoPort: number
  let httpPort: number
  let denied: string[]

  async function proxy(opts: Partial<ProxyOptions> = {}): Promise<FilteringProxy> {
    const p = await startProxy({socketPath: path.join(tmp.dir, 'proxy.sock'), allow: [`127.0.0.1:${echoPort}`, `127.0.0.1:${httpPort}`], onDenied: (l) => denied.push(l), ...opts})
    open.push(p)
    return p
  }

  async function listen(server: net.Server): Promise<number> {
    open.push({close: () => server.close()})
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as net.AddressInfo).port
  }

  beforeEach(async () => {
    denied = []
    const echo = net.createServer((s) => {
      clients.push(s)
      s.pipe(s)
    })
    echoPort = await listen(echo)
    const web = http.createServer((req, res) => res.end(`served ${req.method} ${req.url} host=${req.headers.host} proxy-auth=${req.headers['proxy-authorization'] ?? '-'}`))
    web.on('connection', (s) => clients.push(s))
    httpPort = await listen(web)
  })

  afterEach(async () => {
    for (const s of clients.splice(0)) s.destroy()
    for (const o of open.splice(0).reverse()) await o.close()
  })

  function track(r: Reply): Reply {
    clients.push(r.socket)
    return r
  }

  it('tunnels CONNECT to an allowed host:port, and listens on a 0600 socket', async () => {
    const p = await proxy()
    expect(statSync(p.socketPath).mode & 0o777).to.equal(0o600)
    const r = track(await connect(p.socketPath, `127.0.0.1:${echoPort}`))
    expect(r.status).to.equal(200)
    r.socket.write('ping through the tunnel')
    const echoed = await new Promise<string>((resolve) => r.socket.once('data', (d) => resolve(String(d))))
    expect(echoed).to.equal('ping through the tunnel')
    expect(denied).to.deep.equal([])
  })

  it('refuses a port that is not listed with 403, naming the target and sandbox.allowNetwork, and logs one line per target', async () => {
    const p = await proxy()
    for (let i = 0; i < 2; i++) {
      const r = track(await ask(p.socketPath, `CONNECT 127.0.0.1:${echoPort + 1} HTTP/1.1\r\n\r\n`, {wholeBody: true}))
      expect(r.status).to.equal(403)
      expect(r.body).to.include(`"127.0.0.1:${echoPort + 1}"`).and.include('sandbox.allowNetwork')
    }
    const plain = track(await ask(p.socketPath, `GET http://evil.example/x HTTP/1.1\r\nHost: evil.example\r\n\r\n`, {wholeBody: true}))
    expect(plain.status).to.equal(403)
    expect(plain.body).to.include('evil.example:80')
    expect(denied).to.deep.equal([`sandbox network: refused CONNECT 127.0.0.1:${echoPort + 1}: not in sandbox.allowNetwork`, 'sandbox network: refused GET evil.example:80: not in sandbox.allowNetwork'])
  })

  it('forwards plain HTTP with an absolute URI to an allowed target, with its own Host header and without proxy credentials', async () => {
    const p = await proxy()
    const r = track(await ask(p.socketPath, `GET http://127.0.0.1:${httpPort}/v1/x?y=1 HTTP/1.1\r\nHost: unlisted.example\r\nProxy-Authorization: Basic c2VjcmV0\r\nConnection: close\r\n\r\n`, {wholeBody: true}))
    expect(r.status).to.equal(200)
    expect(r.body).to.include(`served GET /v1/x?y=1 host=127.0.0.1:${httpPort} proxy-auth=-`)
    const origin = track(await ask(p.socketPath, 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', {wholeBody: true}))
    expect(origin.status).to.equal(400)
  })

  it('a listed name that resolves to loopback or link-local is refused (DNS rebinding); an exact localhost entry is not', async () => {
    const answers: Record<string, string[]> = {'forge.test': ['127.0.0.1'], 'mixed.test': ['140.82.112.6', '127.0.0.1'], 'meta.test': ['169.254.169.254'], localhost: ['127.0.0.1']}
    const p = await proxy({allow: [`forge.test:${echoPort}`, `mixed.test:${echoPort}`, `meta.test:${echoPort}`, `localhost:${echoPort}`], lookup: async (h) => answers[h] ?? []})
    for (const name of ['forge.test', 'mixed.test', 'meta.test']) {
      const r = track(await ask(p.socketPath, `CONNECT ${name}:${echoPort} HTTP/1.1\r\n\r\n`, {wholeBody: true}))
      expect(r.status, name).to.equal(403)
      expect(r.body).to.include('DNS rebinding').and.include('sandbox.allowNetwork')
    }
    expect(denied).to.deep.equal([
      `sandbox network: refused CONNECT forge.test:${echoPort}: forge.test resolves to 127.0.0.1, a loopback address`,
      `sandbox network: refused CONNECT mixed.test:${echoPort}: mixed.test resolves to 127.0.0.1, a loopback address`,
      `sandbox network: refused CONNECT meta.test:${echoPort}: meta.test resolves to 169.254.169.254, a link-local address`,
    ])
    const ok = track(await connect(p.socketPath, `localhost:${echoPort}`))
    expect(ok.status).to.equal(200)
  })

  it('matches and resolves names as the list writes them, whatever their case or trailing dot', async () => {
    const asked: string[] = []
    const p = await proxy({allow: [`localhost:${httpPort}`], lookup: async (h) => (asked.push(h), h === 'localhost' ? ['127.0.0.1'] : [])})
    const r = track(await ask(p.socketPath, `GET http://LocalHost.:${httpPort}/x HTTP/1.1\r\nHost: LocalHost.:${httpPort}\r\nConnection: close\r\n\r\n`, {wholeBody: true}))
    expect(r.status, r.body).to.equal(200)
    expect(r.body).to.include('served GET /x')
    expect(asked).to.deep.equal(['localhost'])
  })

  it('answers 502 when an allowed target does not answer, and 400 to a CONNECT without a port', async () => {
    const closed = net.createServer()
    const deadPort = await listen(closed)
    await new Promise((resolve) => closed.close(resolve))
    const p = await proxy({allow: [`127.0.0.1:${deadPort}`]})
    const r = track(await ask(p.socketPath, `CONNECT 127.0.0.1:${deadPort} HTTP/1.1\r\n\r\n`, {wholeBody: true}))
    expect(r.status).to.equal(502)
    expect(r.body).to.include('ECONNREFUSED')
    expect(track(await ask(p.socketPath, 'CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n')).status).to.equal(400)
  })

  it('is bounded: header size, connections at once, idle tunnels; close() ends every tunnel', async () => {
    const small = await proxy({socketPath: path.join(tmp.dir, 'small.sock'), limits: {maxHeaderBytes: 2048}})
    const big = track(await ask(small.socketPath, `CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nX-Fill: ${'a'.repeat(4096)}\r\n\r\n`))
    expect(big.status).to.equal(431)

    const few = await proxy({socketPath: path.join(tmp.dir, 'few.sock'), limits: {maxConnections: 2}})
    const first = track(await connect(few.socketPath, `127.0.0.1:${echoPort}`))
    const second = track(await connect(few.socketPath, `127.0.0.1:${echoPort}`))
    expect([first.status, second.status]).to.deep.equal([200, 200])
    // A third connection while two are open is dropped unanswered.
    const third = net.connect(few.socketPath)
    clients.push(third)
    let answered = ''
    third.on('data', (d) => (answered += d))
    third.on('error', () => {})
    third.write(`CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\n\r\n`)
    await waitFor('the third connection to be dropped', () => third.destroyed || third.readableEnded)
    expect(answered).to.equal('')
    // close() ends the tunnels still open.
    await few.close()
    await waitFor('close() to end the tunnels', () => first.socket.destroyed && second.socket.destroyed)

    // Silent tunnels are closed after idleMs; one that talks stays open meanwhile.
    const quick = await proxy({socketPath: path.join(tmp.dir, 'quick.sock'), limits: {idleMs: 300}})
    const idle = track(await connect(quick.socketPath, `127.0.0.1:${echoPort}`))
    idle.socket.on('error', () => {})
    await waitFor('the idle tunnel to close', () => idle.socket.destroyed || idle.socket.readableEnded)
  })

  it('stops logging after 100 different refusals, with one line that says so', async () => {
    const p = await proxy()
    for (let i = 0; i < 103; i++) track(await ask(p.socketPath, `CONNECT host${i}.example:443 HTTP/1.1\r\n\r\n`, {wholeBody: true}))
    expect(denied).to.have.length(101)
    expect(denied[100]).to.match(/more than 100 different requests refused/)
  })
})
