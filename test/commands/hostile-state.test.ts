// Issue #20 part 3: what a hostile review found around dispatch's own state,
// each through the real binary.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {isSameProcessAlive, processStartTime} from '../../src/lib/proc.js'
import {git, makeRepo, runCli, startCli, waitFor, writeConfig} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'

describe('hostile state (through the binary)', function () {
  this.timeout(120_000)
  const t = useForgeSandbox({hold: true})

  it('a FIFO in stateDir/starting/ neither hangs a dispatch nor reap: it is skipped with a warning', async () => {
    const {sb, env, forge} = t
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
    const starting = path.join(sb.stateDir, 'starting')
    mkdirSync(starting, {recursive: true, mode: 0o700})
    execFileSync('mkfifo', [path.join(starting, '4242-planted.json')])
    // Before the fix each of these blocked in the read for good; 60 s is only a backstop.
    const reap = await runCli(['reap', '--dry-run'], {env, timeoutMs: 60_000})
    expect(reap.code, reap.stderr).to.equal(0)
    expect(reap.stderr).to.include('4242-planted.json: not a regular file')
    const dry = await runCli(['headless', 'acme/api#12', '--dry-run'], {env, timeoutMs: 60_000})
    expect(dry.code, dry.stderr).to.equal(0)
  })

  it('doctor warns about a worktreeRoot other users can read, with the chmod; a new one is made 0700', async () => {
    const {sb, env, forge} = t
    const checkout = makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
    const privacy = async () => {
      const res = await runCli(['doctor', '--json'], {env})
      return (JSON.parse(res.stdout).checks as Array<{name: string; status: string; detail: string; fix?: string}>).filter((c) => c.name === 'worktree root' && c.status === 'warn')
    }
    const started = await runCli(['headless', 'acme/api#12'], {env, cwd: checkout})
    expect(started.code, started.stderr).to.equal(0)
    expect(statSync(sb.worktreeRoot).mode & 0o777, 'a worktreeRoot dispatch made').to.equal(0o700)
    expect(statSync(path.join(sb.worktreeRoot, 'acme', 'api')).mode & 0o777).to.equal(0o700)
    chmodSync(sb.worktreeRoot, 0o755)
    const [warn] = await privacy()
    expect(warn.detail).to.include(`${sb.worktreeRoot} can be read by other users (mode 755)`)
    expect(warn.fix).to.include(`chmod 700 ${sb.worktreeRoot}`)
  })

  it('two repositories\' workers get different indexes and ports: DISPATCH_PORT is the machine\'s, not the repository\'s', async () => {
    const {sb, env, forge} = t
    makeRepo(sb, 'acme', 'api')
    makeRepo(sb, 'acme', 'web')
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'One'})
    forge.addIssue({owner: 'acme', repo: 'web', number: 2, title: 'Two'})
    for (const ref of ['acme/api#1', 'acme/web#2']) {
      const res = await runCli(['headless', ref], {env})
      expect(res.code, res.stderr).to.equal(0)
    }
    expect(records(sb).map((r) => [r.ref, r.worker_index, r.port]).sort()).to.deep.equal([
      ['acme/api#1', 0, 3100],
      ['acme/web#2', 1, 3110],
    ])
    expect(standIns(sb).map((s) => s.env.DISPATCH_PORT).sort()).to.deep.equal(['3100', '3110'])
  })

  describe('kill -9 of a dispatch during its worktree setup', () => {
    let marks: string
    let go: string
    let checkout: string
    const wt = () => path.join(t.sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
    const setupPids = () => readdirSync(marks).map(Number)
    beforeEach(() => {
      const {sb, forge} = t
      checkout = makeRepo(sb, 'acme', 'api')
      forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
      writeFileSync(path.join(checkout, '.gitignore'), '.env\n')
      writeFileSync(path.join(checkout, '.worktreeinclude'), '.env\n')
      git(checkout, 'add', '.gitignore', '.worktreeinclude')
      git(checkout, 'commit', '-q', '-m', 'include rules')
      git(checkout, 'push', '-q', 'origin', 'main')
      writeFileSync(path.join(checkout, '.env'), 'DB=local\n')
      marks = path.join(sb.dir, 'setup-marks')
      go = path.join(sb.dir, 'setup-go')
      mkdirSync(marks)
      // Each setup says it runs (its pid), waits for the test's go, then marks the worktree as set up.
      writeConfig(sb, {github: forge.github}, {worktree: {setup: `touch '${marks}/'$$; while [ ! -e '${go}' ]; do sleep 0.05; done; echo $$ >> .setup-done`}})
    })
    afterEach(() => {
      writeFileSync(go, '')
      for (const pid of setupPids()) {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {}
      }
    })

    /** Start a dispatch, wait for its setup to run, kill -9 the dispatch; returns the setup's pid. */
    const killDuringSetup = async () => {
      const first = startCli(['headless', 'acme/api#12'], {env: t.env})
      const setup = await waitFor('the setup to run', () => setupPids()[0], 60_000)
      // The kill comes once the note names the setup (dispatch writes it right after the spawn).
      const starting = path.join(t.sb.stateDir, 'starting')
      await waitFor('the note to name the setup', () => readdirSync(starting).some((n) => n.endsWith('.json') && readFileSync(path.join(starting, n), 'utf8').includes(`"setup_pid":${setup}`)), 60_000)
      const start = processStartTime(setup) ?? null
      process.kill(first.pid, 'SIGKILL')
      await first.done
      // NOTE: not kill(pid, 0): the orphaned setup's parent is gone, and a zombie nobody reaps still answers it.
      return {pid: setup, alive: () => isSameProcessAlive(setup, start)}
    }

    it('a rerun stops the setup the killed dispatch left running, sets the worktree up again and starts one worker', async () => {
      const {pid: orphan, alive} = await killDuringSetup()
      expect(alive(), 'the setup outlives its dispatch').to.equal(true)
      const rerun = startCli(['headless', 'acme/api#12'], {env: t.env})
      await waitFor('the second setup to run', () => setupPids().length === 2 && setupPids(), 60_000)
      expect(alive(), 'the old setup is stopped before the new one starts').to.equal(false)
      writeFileSync(go, '')
      const res = await rerun.done
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.include(`the worktree setup of an earlier dispatch of acme/api#12, which was killed, was still running (pid ${orphan})`)
      const second = setupPids().find((p) => p !== orphan)
      expect(readFileSync(path.join(wt(), '.setup-done'), 'utf8')).to.equal(`${second}\n`)
      expect(records(t.sb).filter((r) => r.ref === 'acme/api#12')).to.have.length(1)
      expect(standIns(t.sb)).to.have.length(1)
      expect(readdirSync(path.join(t.sb.stateDir, 'starting')).filter((n) => n.endsWith('.json'))).to.deep.equal([])
    })

    it('with the setup gone too (a reboot), a rerun bootstraps the reused worktree again: files copied, setup run', async () => {
      const {pid: orphan, alive} = await killDuringSetup()
      process.kill(-orphan, 'SIGKILL')
      await waitFor('the setup to be gone', () => !alive())
      rmSync(path.join(wt(), '.env'), {force: true})
      writeFileSync(go, '')
      const res = await runCli(['headless', 'acme/api#12'], {env: t.env, timeoutMs: 60_000})
      expect(res.code, res.stderr).to.equal(0)
      expect(readFileSync(path.join(wt(), '.env'), 'utf8')).to.equal('DB=local\n')
      expect(existsSync(path.join(wt(), '.setup-done'))).to.equal(true)
      expect(standIns(t.sb)).to.have.length(1)
    })
  })
})
