// The sandbox (issue #20 part 2) through the real binary and real bubblewrap:
// a hostile stand-in claude tries every wall, and does the work a worker must
// still do (edit, commit on its branch) in the same run.
import {expect} from 'chai'
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {expectNothingCreated, useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, ROOT, git, isAlive, runCli, waitFor, writeConfig} from '../support/helpers.js'
import {useSlurm} from '../support/slurm.js'
import {records} from '../support/state.js'

const HOSTILE = path.join(ROOT, 'test', 'support', 'hostile-claude.mjs')

/** Why bubblewrap cannot run here, or undefined when it can. */
function bwrapUnavailable(): string | undefined {
  const run = spawnSync('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', 'true'], {encoding: 'utf8'})
  if (run.error) return `bwrap is not installed (${run.error.message})`
  if (run.status !== 0) return `bwrap cannot create user namespaces here: ${run.stderr.trim()}`
  return undefined
}

describe('dispatch with sandbox: bubblewrap (through the binary, real bwrap)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({repos: ['acme/api', 'acme/web'], issues: [{owner: 'acme', repo: 'api', number: 1, title: 'Break out'}, {owner: 'acme', repo: 'api', number: 2, title: 'Plain work'}]})
  const unavailable = bwrapUnavailable()

  before(function () {
    if (unavailable) {
      console.log(`      skipped: ${unavailable}`)
      this.skip()
    }
  })

  const sandboxed = (extra: Record<string, unknown> = {}) => writeConfig(t.sb, {github: t.forge.github}, {healthWindowMs: 20_000, sandbox: {kind: 'bubblewrap'}, ...extra})

  it('keeps a hostile worker from the home dir, the main checkout, other worktrees, state, processes and secrets; it still commits on its branch', async () => {
    const {sb, env} = t
    const checkout = t.checkouts['acme/api']
    const web = t.checkouts['acme/web']
    // Planted: a key in the operator's home, a file in another checkout, a worktree of another dispatch.
    mkdirSync(path.join(sb.home, '.ssh'), {recursive: true})
    writeFileSync(path.join(sb.home, '.ssh', 'id_ed25519'), 'PRIVATE KEY\n')
    const otherWorktree = path.join(sb.worktreeRoot, 'acme', 'web', 'issue-9-other')
    mkdirSync(otherWorktree, {recursive: true})
    writeFileSync(path.join(otherWorktree, 'secret.txt'), 'other work\n')
    const outside = path.join(sb.dir, 'outside.txt')
    const victim = spawn('sleep', ['600'], {stdio: 'ignore'})
    t.pids.add(victim.pid!)
    const plan = {
      read: {sshKey: path.join(sb.home, '.ssh', 'id_ed25519'), otherCheckout: path.join(web, 'README.md'), otherWorktree: path.join(otherWorktree, 'secret.txt'), config: sb.configFile},
      write: {gitConfig: path.join(checkout, '.git', 'config'), hook: path.join(checkout, '.git', 'hooks', 'post-checkout'), mainCheckout: path.join(checkout, 'README.md'), outside, otherWorktree: path.join(otherWorktree, 'secret.txt')},
      list: {home: sb.home, state: sb.stateDir, worktrees: sb.worktreeRoot},
      signal: victim.pid,
      env: ['AWS_SECRET_ACCESS_KEY', 'NPM_TOKEN', 'SSH_AUTH_SOCK', 'GH_TOKEN', 'ANTHROPIC_API_KEY'],
    }
    sandboxed({claude: {bin: HOSTILE, permissionMode: 'acceptEdits'}})
    const gitConfigBefore = readFileSync(path.join(checkout, '.git', 'config'), 'utf8')
    const res = await runCli(['headless', 'acme/api#1', '--json'], {
      env: {...env, HOSTILE_PLAN: JSON.stringify(plan), AWS_SECRET_ACCESS_KEY: 'aws-secret', NPM_TOKEN: 'npm-secret', SSH_AUTH_SOCK: '/tmp/agent.sock', GH_TOKEN: 'ghp_pushes0123456789', ANTHROPIC_API_KEY: 'sk-ant-model'},
      cwd: sb.dir,
    })
    expect(res.code, res.stderr).to.equal(0)
    const ended = await waitFor('the worker to end', () => records(sb).find((r) => r.ended_at))
    expect(ended.exit_code, readFileSync(ended.log_path, 'utf8')).to.equal(0)
    const report = JSON.parse(readFileSync(path.join(ended.cwd, 'hostile-report.json'), 'utf8'))

    // Files: nothing of the home, other checkouts or worktrees, or the config is readable.
    for (const name of Object.keys(plan.read)) expect(report.read[name], name).to.deep.include({ok: false})
    expect(report.list.home.entries ?? []).not.to.include('.ssh')
    expect(report.list.state.entries ?? [], 'state dir').to.deep.equal([])
    expect(report.list.worktrees.entries ?? [], 'worktree root').to.deep.equal(['acme'])
    // Not writable: the main checkout's .git/config, its hooks, its files; writes elsewhere never reach the host.
    for (const name of ['gitConfig', 'hook']) expect(report.write[name], name).to.deep.include({ok: false})
    expect(readFileSync(path.join(checkout, '.git', 'config'), 'utf8')).to.equal(gitConfigBefore)
    expect(existsSync(path.join(checkout, '.git', 'hooks', 'post-checkout'))).to.equal(false)
    expect(readFileSync(path.join(checkout, 'README.md'), 'utf8')).not.to.include('hostile')
    expect(existsSync(outside)).to.equal(false)
    expect(readFileSync(path.join(otherWorktree, 'secret.txt'), 'utf8')).to.equal('other work\n')
    // Processes: its own PID namespace; the victim is neither visible nor signalable.
    expect(report.procs).not.to.include(victim.pid)
    expect(report.procs.length).to.be.below(10)
    expect(report.signal).to.deep.include({ok: false})
    expect(isAlive(victim.pid!)).to.equal(true)
    // Secrets: only what the worker needs (the model key, the forge token it pushes with).
    expect(report.env).to.deep.equal({AWS_SECRET_ACCESS_KEY: null, NPM_TOKEN: null, SSH_AUTH_SOCK: null, GH_TOKEN: 'ghp_pushes0123456789', ANTHROPIC_API_KEY: 'sk-ant-model'})
    // The positive control: the commit is on its branch, in the main repository.
    expect(report.commit, JSON.stringify(report.commit)).to.deep.include({ok: true, branch: ended.branch})
    expect(git(checkout, 'rev-parse', ended.branch)).to.equal(report.commit.head)
    expect(git(checkout, 'log', '-1', '--format=%s', ended.branch)).to.equal('Work done inside the sandbox')
    // The sandbox's private directory is gone with the worker.
    expect(readdirSync(path.join(sb.stateDir, 'sandbox'))).to.deep.equal([])
    victim.kill('SIGKILL')
  })

  it('with landing: none the forge token does not reach the worker', async () => {
    const {sb, env} = t
    sandboxed({claude: {bin: HOSTILE, permissionMode: 'acceptEdits'}, landing: 'none'})
    const res = await runCli(['headless', 'acme/api#1'], {env: {...env, HOSTILE_PLAN: JSON.stringify({env: ['GH_TOKEN', 'GITHUB_TOKEN']}), GH_TOKEN: 'ghp_x0123456789', GITHUB_TOKEN: 'ghp_y0123456789'}, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const ended = await waitFor('the worker to end', () => records(sb).find((r) => r.ended_at))
    const report = JSON.parse(readFileSync(path.join(ended.cwd, 'hostile-report.json'), 'utf8'))
    expect(report.env).to.deep.equal({GH_TOKEN: null, GITHUB_TOKEN: null})
    // And it was sandboxed: the few processes of its own namespace.
    expect(report.procs.length).to.be.below(10)
  })

  it('fails with the fix and starts nothing when bwrap is not on PATH (and --no-sandbox runs without it)', async () => {
    const {sb, env} = t
    sandboxed()
    // A PATH with git (node is the test's own) but no bwrap.
    const bin = path.join(sb.dir, 'bin')
    mkdirSync(bin)
    symlinkSync(spawnSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).stdout.trim(), path.join(bin, 'git'))
    symlinkSync(process.execPath, path.join(bin, 'node'))
    const noBwrap = {...env, PATH: bin}
    for (const args of [['headless', 'acme/api#2'], ['headless', '--sandbox=bubblewrap', 'acme/api#2', '--no-worktree']]) {
      const res = await runCli(args, {env: noBwrap, cwd: sb.dir})
      expect(res.code, res.stderr).to.equal(1)
      expect(res.stderr).to.include('The sandbox cannot start: bubblewrap (bwrap) is not on PATH; nothing was started.')
      expect(res.stderr).to.include('apt-get install bubblewrap')
      expect(res.stderr).to.include('--no-sandbox')
      expectNothingCreated(sb)
    }
    const res = await runCli(['headless', 'acme/api#2', '--no-sandbox'], {env: noBwrap, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
  })
})

describe('dispatch doctor and dispatch init about the sandbox (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({})
  const unavailable = bwrapUnavailable()
  const noBwrap = () => {
    const bin = path.join(t.sb.dir, 'bin')
    mkdirSync(bin, {recursive: true})
    for (const tool of ['git', 'sh']) if (!existsSync(path.join(bin, tool))) symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], {encoding: 'utf8'}).stdout.trim(), path.join(bin, tool))
    return {...t.env, PATH: bin}
  }
  const sandboxCheck = async (env: NodeJS.ProcessEnv) => JSON.parse((await runCli(['doctor', '--json'], {env})).stdout).checks.find((c: {name: string}) => c.name === 'sandbox')

  it('doctor: ok with the version where bubblewrap works; a fail with the fix when the config wants it and it is missing; a warning without a sandbox key', async function () {
    if (unavailable) this.skip()
    writeConfig(t.sb, {github: t.forge.github}, {sandbox: {kind: 'bubblewrap'}})
    const ok = await sandboxCheck(t.env)
    expect(ok.status).to.equal('ok')
    expect(ok.detail).to.match(/^bubblewrap \d+\.\d+\.\d+ \(\S+bwrap\), user namespaces work; workers run sandboxed$/)
    const missing = await sandboxCheck(noBwrap())
    expect(missing).to.include({status: 'fail'})
    expect(missing.detail).to.include('bubblewrap (bwrap) is not on PATH')
    expect(missing.fix).to.include('apt-get install bubblewrap')
    writeConfig(t.sb, {github: t.forge.github}, {sandbox: undefined})
    const unset = await sandboxCheck(t.env)
    expect(unset.status).to.equal('warn')
    expect(unset.fix).to.include('sandbox: {kind: bubblewrap}')
  })

  it('init writes sandbox: {kind: bubblewrap} where bubblewrap works, and says why not where it does not', async function () {
    if (unavailable) this.skip()
    const env = {...t.env}
    delete env.DISPATCH_CONFIG
    const file = path.join(t.sb.dir, 'init.yaml')
    const res = await runCli(['init', '--owner', 'acme', '--config', file], {env, cwd: t.sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(readFileSync(file, 'utf8')).to.match(/^sandbox:\n  kind: bubblewrap$/m)
    const doctor = await sandboxCheck({...env, DISPATCH_CONFIG: file})
    expect(doctor.status).to.equal('ok')
    const off = path.join(t.sb.dir, 'init-off.yaml')
    const res2 = await runCli(['init', '--owner', 'acme', '--config', off], {env: {...noBwrap(), DISPATCH_CONFIG: ''}, cwd: t.sb.dir})
    expect(res2.code, res2.stderr).to.equal(0)
    const text = readFileSync(off, 'utf8')
    expect(text).not.to.match(/^sandbox:/m)
    expect(text).to.include('# The sandbox (docs/sandbox.md) is off: bubblewrap (bwrap) is not on PATH.')
  })
})

describe('--sandbox / --no-sandbox and the sandbox config (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 2, title: 'Plain work'}]})

  it('an unknown kind is a usage error (exit 2) before and after the ref, and changes nothing', async () => {
    for (const args of [['headless', '--sandbox', 'docker', 'acme/api#2'], ['headless', 'acme/api#2', '--sandbox=docker'], ['cascade', 'acme/api#2', '--sandbox', 'firejail'], ['interactive', '--sandbox=nope', 'acme/api#2']]) {
      const res = await runCli(args, {env: t.env, cwd: t.sb.dir})
      expect(res.code, args.join(' ')).to.equal(2)
      expect(res.stderr).to.match(/none, bubblewrap/)
      expectNothingCreated(t.sb)
    }
  })

  it('--sandbox and --no-sandbox together are a usage error', async () => {
    const res = await runCli(['headless', 'acme/api#2', '--sandbox', 'bubblewrap', '--no-sandbox'], {env: t.env, cwd: t.sb.dir})
    expect(res.code).to.equal(2)
    expect(res.stderr).to.include('--sandbox=bubblewrap cannot also be provided when using --no-sandbox')
    expectNothingCreated(t.sb)
  })

  it('an invalid sandbox key is a usage error naming the key; repos.<r>.sandbox loads beside the old forms', async () => {
    writeConfig(t.sb, {github: t.forge.github}, {sandbox: {kind: 'chroot'}})
    let res = await runCli(['headless', 'acme/api#2', '--dry-run'], {env: t.env, cwd: t.sb.dir})
    expect(res.code).to.equal(2)
    expect(res.stderr).to.include('sandbox.kind: expected one of none, bubblewrap, got "chroot"')
    writeConfig(t.sb, {github: t.forge.github}, {sandbox: {kind: 'bubblewrap', allowNetwork: ['not a host!']}})
    res = await runCli(['headless', 'acme/api#2', '--dry-run'], {env: t.env, cwd: t.sb.dir})
    expect(res.code).to.equal(2)
    expect(res.stderr).to.include('sandbox.allowNetwork.0')
    writeConfig(t.sb, {github: t.forge.github}, {repos: {'acme/api': {sandbox: {kind: 'none', allowNetwork: ['registry.npmjs.org']}}, 'acme/web': '~/web'}, sandbox: {kind: 'bubblewrap'}})
    res = await runCli(['headless', 'acme/api#2', '--dry-run'], {env: t.env, cwd: t.sb.dir})
    expect(res.code, res.stderr).to.equal(0)
  })

  it('with no sandbox key a dispatch runs unsandboxed and says so once a day, in --json warnings too', async () => {
    writeConfig(t.sb, {github: t.forge.github}, {sandbox: undefined})
    const first = await runCli(['headless', 'acme/api#2', '--json', '--no-worktree'], {env: t.env, cwd: t.sb.dir})
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stderr).to.include('warning: workers run unsandboxed: the config has no sandbox key')
    const out = JSON.parse(first.stdout)
    expect(out.warnings).to.have.length(1)
    expect(out.warnings[0]).to.include({type: 'unsandboxed'})
    await waitFor('the worker to end', () => records(t.sb).find((r) => r.ended_at))
    const second = await runCli(['headless', 'acme/api#2', '--json', '--no-worktree', '--force'], {env: t.env, cwd: t.sb.dir})
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stderr).not.to.include('unsandboxed')
    expect(JSON.parse(second.stdout).warnings).to.deep.equal([])
  })
})

describe('sandboxed interactive sessions (through the binary, real bwrap and tmux)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}]})
  const unavailable = bwrapUnavailable()
  before(function () {
    if (unavailable) {
      console.log(`      skipped: ${unavailable}`)
      this.skip()
    }
  })
  const tmux = (...args: string[]) => execFileSync('tmux', args, {env: t.env, encoding: 'utf8'}).trim()

  /** The stand-in records into and waits on a directory the config opens (allowWrite). */
  function sandboxedConfig(): NodeJS.ProcessEnv {
    const gate = path.join(t.sb.dir, 'gate')
    mkdirSync(gate)
    writeConfig(t.sb, {github: t.forge.github}, {sandbox: {kind: 'bubblewrap', allowWrite: [gate]}})
    return {...t.env, STANDIN_HOLD_FILE: path.join(gate, 'release'), STANDIN_RECORD_DIR: path.join(gate, 'records')}
  }
  const standIns = () => {
    const dir = path.join(t.sb.dir, 'gate', 'records')
    return existsSync(dir) ? readdirSync(dir).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8'))) : []
  }

  it('foreground: the sandboxed claude gets the terminal, in its own PID namespace, and dispatch exits with its code', async () => {
    const env = sandboxedConfig()
    const done = path.join(t.sb.dir, 'done')
    execFileSync('tmux', ['new-session', '-d', '-s', 'fg', '-x', '200', '-y', '50'], {env})
    execFileSync('tmux', ['send-keys', '-t', 'fg', `STANDIN_RECORD_DIR=${env.STANDIN_RECORD_DIR} STANDIN_HOLD_FILE=${env.STANDIN_HOLD_FILE} STANDIN_EXIT=5 ${process.execPath} ${BIN} interactive acme/api#12 --surface foreground; echo "code=$?" > ${done}`, 'Enter'], {env})
    await waitFor('the session to show the prompt', () => tmux('capture-pane', '-p', '-t', 'fg').includes('stand-in interactive session'), 30_000)
    const [standIn] = standIns()
    // Its pid is one of the few in its own namespace; the record's is bwrap's, alive on the host.
    expect(standIn.pid).to.be.below(50)
    const [record] = records(t.sb)
    expect(isAlive(record.pid)).to.equal(true)
    writeFileSync(env.STANDIN_HOLD_FILE!, '')
    await waitFor('dispatch to exit', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='), 30_000)
    expect(readFileSync(done, 'utf8').trim()).to.equal('code=5')
    expect(records(t.sb)[0]).to.include({exit_code: 5})
  })

  it('tmux: the pane runs the sandboxed claude', async () => {
    const env = sandboxedConfig()
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'tmux', '--json'], {env, cwd: t.sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const standIn = await waitFor('the stand-in to start', () => standIns()[0], 30_000)
    expect(standIn.pid).to.be.below(50)
    expect(standIn.cwd).to.equal(JSON.parse(res.stdout).record.cwd)
    writeFileSync(env.STANDIN_HOLD_FILE!, '')
    await waitFor('the session to end', () => records(t.sb).find((r) => r.ended_at), 30_000)
  })

  it('attach resumes a stopped sandboxed worker inside the sandbox (and --no-sandbox outside it)', async () => {
    const env = sandboxedConfig()
    writeFileSync(env.STANDIN_HOLD_FILE!, '')
    const res = await runCli(['headless', 'acme/api#12'], {env, cwd: t.sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const ended = await waitFor('the worker to end', () => records(t.sb).find((r) => r.ended_at), 30_000)
    const done = path.join(t.sb.dir, 'done')
    execFileSync('tmux', ['new-session', '-d', '-s', 'at', '-x', '200', '-y', '50'], {env})
    const run = (flags: string) => execFileSync('tmux', ['send-keys', '-t', 'at', `STANDIN_RECORD_DIR=${env.STANDIN_RECORD_DIR} STANDIN_HOLD_FILE=${env.STANDIN_HOLD_FILE} ${process.execPath} ${BIN} attach acme/api#12 ${flags}; echo "code=$?" > ${done}`, 'Enter'], {env})
    run('')
    await waitFor('attach to end', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='), 30_000)
    expect(readFileSync(done, 'utf8').trim(), tmux('capture-pane', '-p', '-t', 'at')).to.equal('code=0')
    const resumed = standIns().find((r) => r.argv.includes('--resume'))
    expect(resumed.argv).to.include(ended.claude_session_id)
    expect(resumed.pid).to.be.below(50)
    rmSync(done)
    run('--no-sandbox')
    await waitFor('attach to end', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='), 30_000)
    expect(standIns().filter((r) => r.argv.includes('--resume')).map((r) => r.pid > 50).sort()).to.deep.equal([false, true])
  })

  it('the print surface refuses a sandboxed session (it would run claude by hand, unconfined) and creates nothing', async () => {
    sandboxedConfig()
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'print'], {env: t.env, cwd: t.sb.dir})
    expect(res.code).to.equal(2)
    expect(res.stderr).to.include('The print surface cannot run a sandboxed session')
    expectNothingCreated(t.sb)
  })
})

describe('a sandboxed Slurm worker (a real one-node cluster, real bwrap)', function () {
  this.timeout(180_000)
  const slurm = useSlurm(this)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 1, title: 'Break out'}], exitWaitMs: 30_000})
  const unavailable = bwrapUnavailable()
  before(function () {
    if (unavailable) {
      console.log(`      skipped: ${unavailable}`)
      this.skip()
    }
  })
  afterEach(async () => {
    const ids = records(t.sb).map((r) => r.job_id).filter(Boolean)
    if (ids.length > 0) await slurm.cluster().client('scancel', ...ids).catch(() => {})
  })

  it('the job wraps claude in the sandbox on the node: hidden home, its own PID namespace, and the commit on its branch', async () => {
    const {sb} = t
    mkdirSync(path.join(sb.home, '.ssh'), {recursive: true})
    writeFileSync(path.join(sb.home, '.ssh', 'id_ed25519'), 'PRIVATE KEY\n')
    writeConfig(sb, {github: t.forge.github}, {runner: {kind: 'slurm', slurm: {}}, sandbox: {kind: 'bubblewrap'}, claude: {bin: HOSTILE, permissionMode: 'acceptEdits'}})
    const plan = {read: {sshKey: path.join(sb.home, '.ssh', 'id_ed25519')}, write: {gitConfig: path.join(t.checkouts['acme/api'], '.git', 'config')}}
    const res = await runCli(['headless', 'acme/api#1'], {env: {...t.env, ...slurm.cluster().env, HOSTILE_PLAN: JSON.stringify(plan)}, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const ended = await waitFor('the job to record its end', () => records(sb).find((r) => r.ended_at), 90_000)
    expect(ended, readFileSync(ended.log_path, 'utf8')).to.include({runner: 'slurm', exit_code: 0})
    const report = JSON.parse(readFileSync(path.join(ended.cwd, 'hostile-report.json'), 'utf8'))
    expect(report.read.sshKey).to.deep.include({ok: false})
    expect(report.write.gitConfig).to.deep.include({ok: false})
    expect(report.procs.length).to.be.below(10)
    expect(report.commit).to.deep.include({ok: true, branch: ended.branch})
    expect(git(t.checkouts['acme/api'], 'rev-parse', ended.branch)).to.equal(report.commit.head)
  })
})
