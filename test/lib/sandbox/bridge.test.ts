import {expect} from 'chai'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'

import {parseBridgeArgs} from '../../../src/lib/sandbox/bridge.js'
import {startSandboxServices, type SandboxServices} from '../../../src/lib/sandbox/services.js'
import {startFakeForge} from '../../support/fake-forge.mjs'
import {useTempDir} from '../../support/forge-sandbox.js'
import {ROOT, waitFor} from '../../support/helpers.js'
import {startModelServer} from '../../support/model-server.js'

const BRIDGE = path.join(ROOT, 'dist', 'lib', 'sandbox', 'bridge.js')
const PROBE = path.join(ROOT, 'test', 'fixtures', 'sandbox', 'net-probe.mjs')
const BWRAP = ['--unshare-net', '--unshare-pid', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc']

interface Run {
  child: ChildProcess
  stdout(): string
  stderr(): string
  done: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

describe('the sandbox bridge', function () {
  this.timeout(60_000)
  const tmp = useTempDir('dispatch-bridge-')
  const running: ChildProcess[] = []
  const closers: Array<() => unknown> = []

  before(() => {
    if (!existsSync(BRIDGE)) throw new Error(`${BRIDGE} is missing: run npm run build first`)
  })

  afterEach(async () => {
    for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const close of closers.splice(0).reverse()) await close()
  })

  function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'pipe', 'pipe']})
    running.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const done = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, signal) => resolve({code, signal})))
    return {child, stdout: () => stdout, stderr: () => stderr, done}
  }

  const bridge = (socket: string, argv: string[], extra: string[] = []): string[] => [BRIDGE, '--proxy-socket', socket, ...extra, '--', ...argv]

  describe('inside a real bubblewrap sandbox with its own network namespace', function () {
    before(function () {
      const probe = spawnSync('bwrap', [...BWRAP, '--', 'true'], {encoding: 'utf8'})
      if (probe.error || probe.status !== 0) {
        console.log(`      skipped: bubblewrap cannot make a network namespace here (${probe.error?.message ?? probe.stderr.trim()})`)
        this.skip()
      }
    })

    it('reaches the model and the forge only through the proxy; loopback ports and unlisted targets stay unreachable', async () => {
      const model = await startModelServer(() => ({text: 'hello from the model'}))
      closers.push(() => model.close())
      const forge = await startFakeForge()
      closers.push(async () => {
        await forge.close()
        forge.verify()
      })
      forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
      // A local service the operator did not list (a database, a dev server, another worker's port).
      const other = http.createServer((_req, res) => res.end('secret'))
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
      closers.push(() => new Promise((resolve) => other.close(resolve)))
      const otherTarget = `127.0.0.1:${(other.address() as net.AddressInfo).port}`
      const modelTarget = new URL(model.url).host
      const forgeTarget = new URL(forge.github.apiUrl).host

      const denied: string[] = []
      const services: SandboxServices = await startSandboxServices({dir: path.join(tmp.dir, 'sock'), allow: [modelTarget, forgeTarget], onDenied: (l) => denied.push(l)})
      closers.push(() => services.close())
      const direct = (t: string): {kind: string; host: string; port: number} => ({kind: 'direct', host: t.split(':')[0], port: Number(t.split(':')[1])})
      const probes = [
        {kind: 'http', method: 'POST', url: `${model.url}/v1/messages`, body: JSON.stringify({model: 'claude-test', max_tokens: 10, messages: [{role: 'user', content: 'hi'}]})},
        {kind: 'http', url: `${forge.github.apiUrl}/repos/acme/api/issues/12`},
        {kind: 'connect', target: forgeTarget, path: new URL(`${forge.github.apiUrl}/repos/acme/api/issues/12`).pathname},
        direct(modelTarget),
        direct(forgeTarget),
        direct(otherTarget),
        {kind: 'connect', target: otherTarget, path: '/'},
        {kind: 'http', url: `http://${otherTarget}/`},
      ]
      const r = run('bwrap', [...BWRAP, '--', process.execPath, ...bridge(services.proxySocket, [process.execPath, PROBE, JSON.stringify(probes)])], {...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '*'})
      const {code} = await r.done
      expect(code, r.stderr()).to.equal(0)
      const {results, env} = JSON.parse(r.stdout())
      // The positive control: the model answered and the forge served the issue, by plain HTTP and through a tunnel.
      expect(results[0].status).to.equal(200)
      expect(JSON.parse(results[0].body).content[0].text).to.equal('Scripted side reply')
      expect(model.requests).to.have.length(1)
      expect(results[1].status).to.equal(200)
      expect(JSON.parse(results[1].body).title).to.equal('Fix the login bug')
      expect(results[2]).to.include({status: 200, inner: 200})
      // Loopback of the host is not there, even for ports the proxy would allow.
      expect(results.slice(3, 6)).to.deep.equal(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED'])
      // Through the proxy, an unlisted target is refused and the refusal is logged.
      expect(results[6].status).to.equal(403)
      expect(results[6].body).to.include('sandbox.allowNetwork')
      expect(results[7].status).to.equal(403)
      expect(denied).to.deep.equal([`sandbox network: refused CONNECT ${otherTarget}: not in sandbox.allowNetwork`, `sandbox network: refused GET ${otherTarget}: not in sandbox.allowNetwork`])
      // Every proxy variable points at the bridge; NO_PROXY from outside is gone.
      expect(env.HTTPS_PROXY).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
      for (const name of ['HTTP_PROXY', 'https_proxy', 'http_proxy']) expect(env[name]).to.equal(env.HTTPS_PROXY)
      expect([env.NO_PROXY, env.no_proxy, env.DISPATCH_RELAY_SOCKET]).to.deep.equal([null, null, null])
    })

    it("exits with the child's code", async () => {
      const services = await startSandboxServices({dir: path.join(tmp.dir, 'sock'), allow: []})
      closers.push(() => services.close())
      const r = run('bwrap', [...BWRAP, '--', process.execPath, ...bridge(services.proxySocket, [process.execPath, '-e', 'process.exit(7)'])])
      expect((await r.done).code, r.stderr()).to.equal(7)
    })
  })

  describe('as a process', () => {
    // The same program with no sandbox around it: what it does with exits, signals and its arguments.
    const socket = (): string => path.join(tmp.dir, 'none.sock')

    it('passes signals to the child and exits as it does: its code, or 128+signal', async () => {
      const handles = run(process.execPath, bridge(socket(), [process.execPath, '-e', "process.on('SIGUSR1', () => process.exit(5)); console.log('ready'); setInterval(() => {}, 1000)"]))
      await waitFor('the child to be ready', () => handles.stdout().includes('ready'))
      handles.child.kill('SIGUSR1')
      expect((await handles.done).code).to.equal(5)

      const plain = run(process.execPath, bridge(socket(), [process.execPath, '-e', "console.log('ready'); setInterval(() => {}, 1000)"]))
      await waitFor('the child to be ready', () => plain.stdout().includes('ready'))
      plain.child.kill('SIGTERM')
      expect((await plain.done).code).to.equal(143)

      const self = run(process.execPath, bridge(socket(), ['sh', '-c', 'kill -KILL $$']))
      expect((await self.done).code).to.equal(137)
    })

    it('exports DISPATCH_RELAY_SOCKET when given a relay; says what is wrong with its arguments or a missing program', async () => {
      const r = run(process.execPath, bridge(socket(), ['sh', '-c', 'echo "$DISPATCH_RELAY_SOCKET"'], ['--relay-socket', '/run/relay.sock']), {...process.env, DISPATCH_RELAY_SOCKET: '/elsewhere'})
      expect((await r.done).code).to.equal(0)
      expect(r.stdout()).to.equal('/run/relay.sock\n')

      const missing = run(process.execPath, bridge(socket(), ['/nonexistent/claude']))
      expect((await missing.done).code).to.equal(127)
      expect(missing.stderr()).to.include('cannot run /nonexistent/claude')

      const bad = run(process.execPath, [BRIDGE, '--proxy-socket', socket(), 'claude'])
      expect((await bad.done).code).to.equal(2)
      expect(bad.stderr()).to.match(/^usage: bridge\.js/)
    })

    it('parses its arguments (table)', () => {
      const table: Array<[string[], ReturnType<typeof parseBridgeArgs>]> = [
        [['--proxy-socket', '/p', '--', 'claude', '-p'], {proxySocket: '/p', relaySocket: undefined, argv: ['claude', '-p']}],
        [['--proxy-socket', '/p', '--relay-socket', '/r', '--', 'claude'], {proxySocket: '/p', relaySocket: '/r', argv: ['claude']}],
        [['--proxy-socket', '/p', '--'], undefined],
        [['--relay-socket', '/r', '--', 'claude'], undefined],
        [['--proxy-socket', '--', 'claude'], undefined],
        [['--other', 'x', '--proxy-socket', '/p', '--', 'claude'], undefined],
      ]
      for (const [args, want] of table) expect(parseBridgeArgs(args), args.join(' ')).to.deep.equal(want)
    })
  })
})
