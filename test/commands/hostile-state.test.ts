// Issue #20 part 3: what a hostile review found around dispatch's own state,
// each through the real binary.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {makeRepo, runCli} from '../support/helpers.js'
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
})
