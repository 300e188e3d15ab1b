// The real Claude Code CLI inside a bubblewrap network namespace, with the
// bridge and the filtering proxy (src/lib/sandbox): it reaches the loopback
// model server only through the proxy, and a Bash command it runs cannot
// reach a host loopback port, directly or through the proxy.
import {expect} from 'chai'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {startSandboxServices, type SandboxServices} from '../../src/lib/sandbox/services.js'
import {ROOT} from '../support/helpers.js'
import {lastToolResult, startModelServer, type ModelServer} from '../support/model-server.js'
import {claudeBinary, loopbackModelEnv} from '../support/real-claude.js'

const BRIDGE = path.join(ROOT, 'dist', 'lib', 'sandbox', 'bridge.js')
const PROBE = path.join(ROOT, 'test', 'fixtures', 'sandbox', 'net-probe.mjs')


describe('e2e: the real claude in a sandboxed network', function () {
  this.timeout(120_000)
  const claude = claudeBinary()
  let dir: string
  let model: ModelServer | undefined
  let services: SandboxServices | undefined
  let other: http.Server | undefined

  before(function () {
    if (!claude) throw new Error(`@anthropic-ai/claude-code-${process.platform}-${process.arch} is not installed; run npm ci`)
    const probe = spawnSync('bwrap', ['--unshare-net', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--', 'true'], {encoding: 'utf8'})
    if (probe.error || probe.status !== 0) {
      console.log(`      skipped: bubblewrap cannot make a network namespace here (${probe.error?.message ?? probe.stderr.trim()})`)
      this.skip()
    }
  })

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-e2e-net-'))
  })

  afterEach(async () => {
    await services?.close()
    await model?.close()
    await new Promise((resolve) => (other ? other.close(resolve) : resolve(undefined)))
    services = model = other = undefined
    rmSync(dir, {recursive: true, force: true})
  })

  it('talks to the model through the proxy; its Bash tool reaches neither host loopback nor unlisted ports', async () => {
    other = http.createServer((_req, res) => res.end('secret'))
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', resolve))
    const otherTarget = `127.0.0.1:${(other.address() as net.AddressInfo).port}`
    let modelTarget = ''
    const probes = () => [
      {kind: 'direct', host: '127.0.0.1', port: Number(modelTarget.split(':')[1])},
      {kind: 'direct', host: '127.0.0.1', port: Number(otherTarget.split(':')[1])},
      {kind: 'connect', target: otherTarget, path: '/'},
    ]
    model = await startModelServer((req) =>
      lastToolResult(req) === undefined ? {tool: {name: 'Bash', input: {command: `node ${PROBE} '${JSON.stringify(probes())}'`, description: 'probe the network'}}} : {text: 'Probed.'},
    )
    modelTarget = new URL(model.url).host
    const denied: string[] = []
    services = await startSandboxServices({dir: path.join(dir, 'run'), allow: [modelTarget], onDenied: (l) => denied.push(l)})
    for (const d of ['home', 'config', 'tmp', 'work']) mkdirSync(path.join(dir, d))
    const env = {
      PATH: process.env.PATH,
      HOME: path.join(dir, 'home'),
      CLAUDE_CONFIG_DIR: path.join(dir, 'config'),
      ...loopbackModelEnv(model.url, path.join(dir, 'tmp'), 'sk-ant-e2e-0123456789abcdef'),
    }
    const argv = ['--unshare-net', '--unshare-pid', '--die-with-parent', '--ro-bind', '/', '/', '--bind', dir, dir, '--dev', '/dev', '--proc', '/proc', '--chdir', path.join(dir, 'work')]
    const claudeArgs = ['-p', 'Probe the network.', '--output-format', 'json', '--permission-mode', 'acceptEdits', '--allowedTools', 'Bash']
    const child = spawn('bwrap', [...argv, '--', process.execPath, BRIDGE, '--proxy-socket', services.proxySocket, '--', claude!, ...claudeArgs], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code, stderr + stdout).to.equal(0)
    expect(JSON.parse(stdout)).to.include({is_error: false, result: 'Probed.'})

    // The model was reached, through the allowed path only: there is no other.
    const toolTurn = model.requests.find((r) => lastToolResult(r) !== undefined)
    expect(toolTurn, 'the model saw the tool result').not.to.equal(undefined)
    const {results} = JSON.parse(lastToolResult(toolTurn!)!.match(/\{"results".*\}/)![0])
    expect(results[0]).to.equal('ECONNREFUSED')
    expect(results[1]).to.equal('ECONNREFUSED')
    expect(results[2].status).to.equal(403)
    expect(denied).to.deep.equal([`sandbox network: refused CONNECT ${otherTarget}: not in sandbox.allowNetwork`])
  })
})
