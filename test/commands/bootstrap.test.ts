import {expect} from 'chai'
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {git, processesIn, runCli, startCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'

describe('worktree bootstrap: .worktreeinclude, setup, indexes and ports (through the binary)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({
    repos: ['acme/api'],
    issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}],
    env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789', STANDIN_CHECK_FILES: '.env,.setup-done,.which'},
  })
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  let checkout: string
  const wt12 = () => path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
  beforeEach(() => {
    ;({forge, sb, env} = t)
    checkout = t.checkouts['acme/api']
  })

  const config = (worktree: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => writeConfig(sb, {github: forge.github}, {worktree, ...extra})
  const logOf = (r: Record<string, any>) => readFileSync(r.log_path, 'utf8')
  const ended = (pid: number) => waitFor(`worker ${pid} to end`, () => records(sb).find((r) => r.pid === pid && r.ended_at))

  it('copies ignored files named by .worktreeinclude into a new worktree (owner bits only, the worktree 0700), never through a symlink leaving the checkout', async () => {
    config()
    writeFileSync(path.join(checkout, '.gitignore'), '.env\nconfig/**/*.local\nout.link\nbuild/\n')
    writeFileSync(path.join(checkout, '.worktreeinclude'), '.env\nconfig/\nout.link\n')
    git(checkout, 'add', '.gitignore', '.worktreeinclude')
    git(checkout, 'commit', '-q', '-m', 'ignore rules')
    git(checkout, 'push', '-q', 'origin', 'main')
    writeFileSync(path.join(checkout, '.env'), 'DB=local\n', {mode: 0o640})
    chmodSync(path.join(checkout, '.env'), 0o640)
    mkdirSync(path.join(checkout, 'config', 'deep'), {recursive: true})
    writeFileSync(path.join(checkout, 'config', 'deep', 'db.local'), 'deep\n')
    mkdirSync(path.join(checkout, 'build'))
    writeFileSync(path.join(checkout, 'build', 'x.js'), 'built\n')
    const outside = path.join(sb.dir, 'outside-secret')
    writeFileSync(outside, 'not yours\n')
    symlinkSync(outside, path.join(checkout, 'out.link'))

    const dry = await runCli(['headless', '--dry-run', 'acme/api#12'], {env, cwd: checkout})
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout, dry.stdout).to.match(/^Copy: +\.env, config\/deep\/db\.local$/m)
    expect(dry.stdout).to.match(/not out\.link: a symlink to .*outside-secret, outside the checkout/)
    expect(existsSync(wt12())).to.equal(false)

    const res = await runCli(['headless', 'acme/api#12'], {env, cwd: checkout})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/warning: \.worktreeinclude: did not copy out\.link: a symlink to .*outside the checkout/)
    expect(readFileSync(path.join(wt12(), '.env'), 'utf8')).to.equal('DB=local\n')
    // The group's read bit does not travel: worktreeRoot may be shared storage (Slurm). The worktree is 0700.
    expect(statSync(path.join(wt12(), '.env')).mode & 0o777).to.equal(0o600)
    expect(statSync(wt12()).mode & 0o777).to.equal(0o700)
    expect(readFileSync(path.join(wt12(), 'config', 'deep', 'db.local'), 'utf8')).to.equal('deep\n')
    expect(existsSync(path.join(wt12(), 'build'))).to.equal(false)
    expect(() => lstatSync(path.join(wt12(), 'out.link'))).to.throw()
    // The worker saw the copied file when it started.
    expect(standIns(sb)[0].checked['.env']).to.equal('DB=local\n')

    // A reused worktree gets nothing copied again.
    const [first] = records(sb)
    await ended(first.pid)
    rmSync(path.join(wt12(), '.env'))
    const again = await runCli(['headless', 'acme/api#12'], {env})
    expect(again.code, again.stderr).to.equal(0)
    expect(existsSync(path.join(wt12(), '.env'))).to.equal(false)
  })

  it('runs the setup in the new worktree before the worker, output in its log, with index and port and without tokens', async () => {
    config({setup: 'echo "setup in $(pwd) index=$DISPATCH_WORKER_INDEX port=$DISPATCH_PORT token=${GH_TOKEN:-none}"; echo made > .setup-done'})
    const res = await runCli(['headless', 'acme/api#12', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out).to.include({worker_index: 0, port: 3100})
    const [record] = records(sb)
    expect(record).to.include({worker_index: 0, port: 3100})
    const log = logOf(record)
    expect(log).to.include(`setup in ${wt12()} index=0 port=3100 token=none`)
    // The setup's lines come first, then the worker's stream.
    expect(log.indexOf('worktree setup finished')).to.be.lessThan(log.indexOf('{"type"'))
    const [standIn] = standIns(sb)
    expect(standIn.checked['.setup-done']).to.equal('made\n')
    expect(standIn.env).to.include({DISPATCH_WORKER_INDEX: '0', DISPATCH_PORT: '3100', GH_TOKEN: 'ghp_SECRETTOKEN0123456789'})
    expect(standIn.stdin).to.include('DISPATCH_WORKER_INDEX=0').and.include('DISPATCH_PORT=3100').and.include('ports 3100-3109')
  })

  it("a repository's own setup (repos.<owner/repo>.setup) wins over worktree.setup, next to its path", async () => {
    config({setup: 'echo global > .which'}, {repos: {'acme/api': {path: checkout, setup: 'echo own > .which'}, 'acme/web': path.join(sb.workspace, 'acme', 'web')}})
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.match(/^port +3100 \(DISPATCH_PORT; worker index 0\)$/m)
    expect(standIns(sb)[0].checked['.which']).to.equal('own\n')
  })

  it('a failing setup fails the dispatch with the log tail, keeps the worktree, and starts no worker', async () => {
    config({setup: 'echo "npm ERR! missing dependency"; exit 7'})
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/The worktree setup for acme\/api#12 exited with code 7; no worker was started/)
    expect(res.stderr).to.include('npm ERR! missing dependency')
    expect(res.stderr).to.include(`The worktree ${wt12()} is kept for inspection`)
    expect(existsSync(wt12())).to.equal(true)
    expect(records(sb)).to.deep.equal([])
    expect(standIns(sb)).to.deep.equal([])
    expect(readdirSync(path.join(sb.stateDir, 'starting'))).to.deep.equal([])

    const json = await runCli(['headless', 'acme/api#12', '--json', '--setup'], {env})
    expect(json.code).to.equal(1)
    expect(JSON.parse(json.stdout).error.message).to.match(/exited with code 7/)
  })

  it('a hanging setup is killed after worktree.setupTimeoutMs, leaving no process behind', async () => {
    config({setup: 'sleep 30 & sleep 30', setupTimeoutMs: 400})
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/did not finish within worktree\.setupTimeoutMs \(400 ms\) and was killed/)
    expect(existsSync(wt12())).to.equal(true)
    await waitFor('no process left in the worktree', () => processesIn(wt12()).length === 0)
    expect(records(sb)).to.deep.equal([])
  })

  it('--no-setup skips it; a reused worktree does not rerun it unless --setup', async () => {
    config({setup: 'echo ran >> .setup-count'})
    const count = () => (existsSync(path.join(wt12(), '.setup-count')) ? readFileSync(path.join(wt12(), '.setup-count'), 'utf8').split('\n').filter(Boolean).length : 0)

    const skipped = await runCli(['headless', 'acme/api#12', '--no-setup'], {env})
    expect(skipped.code, skipped.stderr).to.equal(0)
    expect(count()).to.equal(0)
    await ended(records(sb)[0].pid)

    const reused = await runCli(['headless', 'acme/api#12'], {env})
    expect(reused.code, reused.stderr).to.equal(0)
    expect(count()).to.equal(0)
    await waitFor('second worker to end', () => records(sb).length === 2 && records(sb).every((r) => r.ended_at))

    const dry = await runCli(['headless', '--setup', 'acme/api#12', '--dry-run', '--json'], {env})
    expect(JSON.parse(dry.stdout).bootstrap).to.deep.equal({include: [], include_skipped: [], setup: 'echo ran >> .setup-count'})
    const forced = await runCli(['headless', 'acme/api#12', '--setup'], {env})
    expect(forced.code, forced.stderr).to.equal(0)
    expect(count()).to.equal(1)
  })

  it('gives concurrent dispatches distinct indexes and ports, and reuses a freed index', async () => {
    for (const n of [20, 21, 22, 23]) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`})
    // The setups overlap for certain: each says it started, then waits for the test's go; all three
    // are then outside the registry lock at once, and only the starting notes keep their indexes apart.
    const marks = path.join(sb.dir, 'setup-marks')
    const go = path.join(sb.dir, 'setup-go')
    mkdirSync(marks)
    config({setup: `touch '${marks}/'$$; while [ ! -e '${go}' ]; do sleep 0.05; done`})
    const held = {...env, STANDIN_HOLD_FILE: t.release}
    const runs = [20, 21, 22].map((n) => startCli(['headless', `acme/api#${n}`], {env: held}))
    await waitFor('all three setups to be running', () => readdirSync(marks).length === 3)
    writeFileSync(go, '')
    const results = await Promise.all(runs.map((r) => r.done))
    for (const r of results) expect(r.code, r.stderr).to.equal(0)
    const byRef = () => Object.fromEntries(records(sb).filter((r) => !r.ended_at).map((r) => [r.ref, r]))
    expect(records(sb).map((r) => r.worker_index).sort()).to.deep.equal([0, 1, 2])
    expect(records(sb).map((r) => r.port).sort()).to.deep.equal([3100, 3110, 3120])
    for (const s of standIns(sb)) {
      const r = records(sb).find((x) => x.pid === s.pid)!
      expect(s.env.DISPATCH_WORKER_INDEX).to.equal(String(r.worker_index))
    }

    // The worker holding index 1 stops; the next dispatch takes index 1.
    const one = Object.values(byRef()).find((r) => r.worker_index === 1)!
    const stop = await runCli(['stop', '--pid', String(one.pid)], {env})
    expect(stop.code, stop.stderr).to.equal(0)
    await ended(one.pid)
    const next = await runCli(['headless', 'acme/api#23', '--json'], {env: held})
    expect(next.code, next.stderr).to.equal(0)
    expect(JSON.parse(next.stdout)).to.include({worker_index: 1, port: 3110})
  })

  it('a dispatch still in its setup counts as active: a second one for the same issue is refused', async () => {
    const go = path.join(sb.dir, 'setup-go')
    config({setup: `touch .setup-started; while [ ! -e '${go}' ]; do sleep 0.05; done`})
    const first = startCli(['headless', 'acme/api#12'], {env})
    await waitFor('the first setup to be running', () => existsSync(path.join(wt12(), '.setup-started')))
    // No record exists yet: only the starting note can refuse this one.
    expect(records(sb)).to.deep.equal([])
    const second = await runCli(['headless', 'acme/api#12'], {env})
    expect(second.code, second.stderr).to.equal(3)
    expect(second.stderr).to.match(/acme\/api#12 already has an active worker/)
    writeFileSync(go, '')
    const done = await first.done
    expect(done.code, done.stderr).to.equal(0)
    expect(records(sb)).to.have.length(1)
  })

  it('interactive sessions get the same bootstrap: the setup runs before the session line is handed out', async () => {
    config({setup: 'echo "port $DISPATCH_PORT" > .setup-done'})
    const res = await runCli(['interactive', '--surface=print', 'acme/api#12', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    expect(readFileSync(path.join(wt12(), '.setup-done'), 'utf8')).to.equal('port 3100\n')
    // The print line's handoff file carries the prompt (and the slot it holds).
    const handoff = JSON.parse(readFileSync(/ (\S+\/print-[0-9a-f-]{36}\.json)$/.exec(JSON.parse(res.stdout).surface.command)![1], 'utf8'))
    expect(handoff.prompt).to.include('DISPATCH_PORT=3100')
    expect(handoff.env).to.include({DISPATCH_PORT: '3100'})
  })

  it('Ctrl-C during the setup kills it and starts no worker', async () => {
    config({setup: 'touch .setup-started; sleep 30'})
    const run = startCli(['headless', 'acme/api#12'], {env})
    await waitFor('the setup to start', () => existsSync(path.join(wt12(), '.setup-started')))
    process.kill(run.pid, 'SIGINT')
    const res = await run.done
    expect(res.code, res.stderr).to.equal(130)
    expect(res.stderr).to.match(/interrupted before the worker started/i)
    await waitFor('no process left in the worktree', () => processesIn(wt12()).length === 0)
    expect(records(sb)).to.deep.equal([])
    expect(standIns(sb)).to.deep.equal([])
  })
})
