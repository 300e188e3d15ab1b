import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {relayDecision} from '../../../src/lib/sandbox/relay-policy.js'
import {startProxy} from '../../../src/lib/sandbox/proxy.js'
import {startRelay, type Relay, type RelayOptions} from '../../../src/lib/sandbox/relay.js'
import {useForgeSandbox} from '../../support/forge-sandbox.js'
import {BIN, isAlive, ROOT, runCli, startCli, waitFor} from '../../support/helpers.js'

const BRIDGE = path.join(ROOT, 'dist', 'lib', 'sandbox', 'bridge.js')
const BWRAP = ['--unshare-net', '--unshare-pid', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc']

describe('the cascade relay', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Split the parser'}]})
  let dir: string
  let relay: Relay | undefined

  beforeEach(() => {
    // Short: a unix socket path has at most 107 bytes.
    dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-relay-'))
  })

  afterEach(async () => {
    await relay?.close()
    relay = undefined
    rmSync(dir, {recursive: true, force: true})
  })

  async function start(opts: Partial<RelayOptions> = {}): Promise<string> {
    const operator = {...t.env}
    // The relay, not the operator's environment, names the config.
    delete operator.DISPATCH_CONFIG
    relay = await startRelay({socketPath: path.join(dir, 'relay.sock'), env: operator, cascadeDepth: 3, configPath: t.sb.configFile, ...opts})
    return relay.socketPath
  }

  /** What a sandboxed worker has: the relay's socket and a budget it may have raised, but no config, state or token. */
  function workerEnv(socket: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {PATH: process.env.PATH, HOME: path.join(dir, 'nohome'), DISPATCH_RELAY_SOCKET: socket, DISPATCH_CASCADE_DEPTH: '5', ...extra}
  }

  it("carries out a worker's dispatch --dry-run with the operator's config and the relay's cascade budget, not the caller's", async () => {
    // No --sandbox added here: the flag belongs to the sandbox's own tests; 'runs the relayed command ...' below checks that it is added.
    const socket = await start({dispatchArgs: []})
    const headless = await runCli(['headless', '--dry-run', 'acme/api#12'], {env: workerEnv(socket), cwd: dir})
    expect(headless.code, headless.stderr).to.equal(0)
    expect(headless.stdout).to.include('acme/api#12').and.include('Split the parser')

    // The worker says 5; the relay was given 3, so a nested cascade gets 2.
    const cascade = await runCli(['cascade', '--dry-run', 'acme/api#12'], {env: workerEnv(socket), cwd: dir})
    expect(cascade.code, cascade.stderr).to.equal(0)
    expect(cascade.stdout).to.match(/cascade budget is 2\b/)
    expect(cascade.stdout).not.to.match(/cascade budget is 4\b/)
  })

  it('a worker with no budget left cannot dispatch through the relay, whatever DISPATCH_CASCADE_DEPTH it sets', async () => {
    const socket = await start({cascadeDepth: 0, dispatchArgs: []})
    const res = await runCli(['headless', '--dry-run', 'acme/api#12'], {env: workerEnv(socket, {DISPATCH_CASCADE_DEPTH: '3'}), cwd: dir})
    expect(res.code).to.equal(3)
    expect(res.stderr).to.include('no cascade budget left (DISPATCH_CASCADE_DEPTH=0)')
  })

  it('refuses stop, reap, init, attach, interactive and flags that would leave the sandbox or the config, with exit 3 and why', async () => {
    const socket = await start()
    const table: Array<[string[], RegExp]> = [
      [['stop', 'acme/api#12'], /^dispatch stop is not available inside the sandbox: a sandboxed worker may run only dispatch headless, cascade, status, sidequests list and sidequests conflicts\./],
      [['reap', '--dry-run'], /^dispatch reap is not available inside the sandbox/],
      [['init'], /^dispatch init is not available/],
      [['attach', 'acme/api#12'], /^dispatch attach is not available/],
      [['interactive', 'acme/api#12'], /^dispatch interactive is not available/],
      [['sidequests', 'prune'], /^dispatch sidequests prune is not available/],
      [['headless', 'acme/api#12', '--no-sandbox'], /^--no-sandbox cannot be used from inside the sandbox/],
      [['headless', '--config=/tmp/mine.json', 'acme/api#12'], /^--config cannot be used from inside the sandbox/],
      [['headless', '--worktree=false', 'acme/api#12'], /^--worktree cannot be used/],
      [['--repo', 'stop', 'headless'], /the command comes first/],
    ]
    for (const [argv, message] of table) {
      const res = await runCli(argv, {env: workerEnv(socket), cwd: dir})
      expect(res.code, argv.join(' ')).to.equal(3)
      expect(res.stderr, argv.join(' ')).to.match(message)
    }
  })

  it("runs the relayed command in the worker's directory only inside the worktree, with the operator's environment, the worker's session, and sandboxed sub-workers", async () => {
    const fake = path.join(dir, 'fake-dispatch.mjs')
    writeFileSync(
      fake,
      "const e = process.env; console.log(JSON.stringify({argv: process.argv.slice(2), cwd: process.cwd(), depth: e.DISPATCH_CASCADE_DEPTH, config: e.DISPATCH_CONFIG, session: e.CLAUDE_CODE_SESSION_ID ?? null, relay: e.DISPATCH_RELAY_SOCKET ?? null, token: e.GH_TOKEN ?? null})); process.stderr.write('to stderr\\n'); process.exitCode = 4\n",
    )
    const worktree = path.join(dir, 'wt')
    mkdirSync(path.join(worktree, 'src'), {recursive: true})
    const socket = await start({bin: fake, cwd: worktree, env: {...t.env, GH_TOKEN: 'operator-token', DISPATCH_RELAY_SOCKET: '/loop'}})
    const inWorktree = await runCli(['headless', 'acme/api#12', '--claims', 'src'], {env: workerEnv(socket, {CLAUDE_CODE_SESSION_ID: 'session-1'}), cwd: path.join(worktree, 'src')})
    expect(inWorktree.code).to.equal(4)
    expect(inWorktree.stderr).to.equal('to stderr\n')
    expect(JSON.parse(inWorktree.stdout)).to.deep.equal({argv: ['headless', '--sandbox', 'bubblewrap', 'acme/api#12', '--claims', 'src'], cwd: path.join(worktree, 'src'), depth: '3', config: t.sb.configFile, session: 'session-1', relay: null, token: 'operator-token'})

    const outside = await runCli(['status'], {env: workerEnv(socket), cwd: dir})
    expect(JSON.parse(outside.stdout)).to.include({cwd: worktree, session: null})
    expect(JSON.parse(outside.stdout).argv).to.deep.equal(['status'])
  })

  it('streams a large output whole and in order', async () => {
    const fake = path.join(dir, 'loud-dispatch.mjs')
    writeFileSync(fake, "for (let i = 0; i < 40000; i++) process.stdout.write(`line ${i} ${'x'.repeat(60)}\\n`)\n")
    const socket = await start({bin: fake})
    const res = await runCli(['status'], {env: workerEnv(socket), cwd: dir})
    expect(res.code, res.stderr).to.equal(0)
    const lines = res.stdout.split('\n')
    expect(lines).to.have.length(40001)
    expect(lines[0]).to.match(/^line 0 x+$/)
    expect(lines[39999]).to.match(/^line 39999 x+$/)
  })

  it('stops the relayed command when the worker gives up or the relay closes; a relay that is gone is reported', async () => {
    const fake = path.join(dir, 'slow-dispatch.mjs')
    writeFileSync(fake, "console.log(process.pid); setInterval(() => {}, 1000)\n")
    const socket = await start({bin: fake})
    const first = startCli(['status'], {env: workerEnv(socket), cwd: dir})
    const pid = Number(await waitFor('the relayed command to start', () => first.stdout().trim()))
    process.kill(first.pid, 'SIGTERM')
    expect((await first.done).code).to.equal(143)
    await waitFor('the relayed command to be stopped', () => !isAlive(pid))

    const second = startCli(['status'], {env: workerEnv(socket), cwd: dir})
    const pid2 = Number(await waitFor('the relayed command to start', () => second.stdout().trim()))
    await relay!.close()
    relay = undefined
    await waitFor('close() to stop the relayed command', () => !isAlive(pid2))
    expect((await second.done).code).not.to.equal(0)

    const gone = await runCli(['status'], {env: workerEnv(socket), cwd: dir})
    expect(gone.code).to.equal(1)
    expect(gone.stderr).to.match(/runs dispatch through the relay at .*relay\.sock, which does not answer/)
  })

  it('works from inside a real bubblewrap sandbox, where the config and state are not there, through the bridge', async function () {
    const probe = spawnSync('bwrap', [...BWRAP, '--', 'true'], {encoding: 'utf8'})
    if (probe.error || probe.status !== 0) {
      console.log(`      skipped: bubblewrap cannot make a network namespace here (${probe.error?.message ?? probe.stderr.trim()})`)
      return this.skip()
    }
    const socket = await start({dispatchArgs: []})
    // The bridge needs a proxy socket; nothing here uses the network.
    const proxy = await startProxy({socketPath: path.join(dir, 'proxy.sock'), allow: []})
    try {
      const argv = [...BWRAP, '--tmpfs', t.sb.dir, '--', process.execPath, BRIDGE, '--proxy-socket', proxy.socketPath, '--relay-socket', socket, '--', process.execPath, BIN, 'cascade', '--dry-run', 'acme/api#12']
      const res = await runCli(argv, {env: {PATH: process.env.PATH, DISPATCH_CASCADE_DEPTH: '5', DISPATCH_CONFIG: t.sb.configFile}, cwd: dir, bin: 'bwrap'})
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stdout).to.include('Split the parser')
      expect(res.stdout).to.match(/cascade budget is 2\b/)
    } finally {
      await proxy.close()
    }
  })
})

describe('which commands the relay carries out (relayDecision, pure)', () => {
  const table: Array<[string[], string | RegExp]> = [
    [['headless', 'acme/api#1'], 'headless'],
    [['cascade', '--depth', '2', 'acme/api#1'], 'cascade'],
    [['--json', 'status'], 'status'],
    [['status', '--json', 'acme/api#1'], 'status'],
    [['sidequests', 'list'], 'sidequests'],
    [['sidequests', 'conflicts', 'src/a'], 'sidequests'],
    [['headless', '--worktree', 'acme/api#1'], 'headless'],
    [['headless', 'acme/api#1', '--', '--config', 'x'], 'headless'],
    [['--version'], 'help'],
    [['-h'], 'help'],
    [[], /without a command/],
    [['--version', 'stop'], /command comes first/],
    [['sidequests'], /dispatch sidequests is not available/],
    [['sidequests', 'prune', '--logs'], /sidequests prune is not/],
    [['stop', '--all'], /dispatch stop is not/],
    [['reap'], /dispatch reap is not/],
    [['headless', '--sandbox', 'none', 'x'], /--sandbox cannot/],
    [['headless', '--sandbox=none', 'x'], /--sandbox cannot/],
    [['headless', '--claude-bin', './evil', 'x'], /--claude-bin cannot/],
    [['headless', '--setup', 'x'], /--setup cannot/],
    [['headless', '--no-worktree', 'x'], /--no-worktree cannot/],
    [['headless', '--worktree=0', 'x'], /--worktree cannot/],
    [['--config', 'x', 'headless'], /--config cannot/],
    [['--label', 'headless', 'stop'], /command comes first/],
    [['-x', 'headless'], /command comes first/],
  ]
  for (const [argv, want] of table) {
    it(`dispatch ${argv.join(' ')} → ${String(want)}`, () => {
      const d = relayDecision(argv)
      if (typeof want === 'string') expect(d).to.deep.equal({ok: true, command: want})
      else {
        expect(d.ok).to.equal(false)
        if (!d.ok) expect(d.message).to.match(want)
      }
    })
  }
})
