// Issue #13: the core as read → decide → apply. Through the binary, with real git
// repositories, the stand-in claude and (for progress) a real tmux pane.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, git, makeRepo, runCli, waitFor} from '../support/helpers.js'
import * as state from '../support/state.js'

describe('dispatch core: plan from what is there (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox()
  let {forge, sb, env} = t
  let checkout: string
  const records = () => state.records(sb)
  const standIns = () => state.standIns(sb)

  beforeEach(() => {
    ;({forge, sb, env} = t)
    checkout = makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.'})
  })

  it('starts in the worktree that exists once the sweep removed the one a reuse plan chose, with a prompt naming its branch', async () => {
    // A finished worktree from when the issue had another title: merged, clean, so the quiet reap removes it.
    const old = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-old-title')
    git(checkout, 'worktree', 'add', '-q', '-b', 'dispatch/issue-12-old-title', old, 'main')
    writeFileSync(path.join(old, 'fix.txt'), 'fixed\n')
    git(old, 'add', 'fix.txt')
    git(old, 'commit', '-q', '-m', 'Fix')
    git(checkout, 'merge', '-q', '--ff-only', 'dispatch/issue-12-old-title')
    git(checkout, 'push', '-q', 'origin', 'main')
    // Made long ago: the quiet sweep spares worktrees made in the last two minutes.
    const longAgo = new Date(Date.now() - 600_000)
    utimesSync(path.join(old, '.git'), longAgo, longAgo)
    const dry = JSON.parse((await runCli(['headless', 'acme/api#12', '--dry-run', '--json'], {env})).stdout)
    expect(dry).to.include({cwd: old, worktree_action: 'reuse'})

    const res = await runCli(['headless', 'acme/api#12', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const fresh = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
    expect(existsSync(old)).to.equal(false)
    const [record] = records()
    expect(record).to.include({cwd: fresh, branch: 'dispatch/issue-12-fix-the-login-bug'})
    const [standIn] = await waitFor('the stand-in', () => standIns().length > 0 && standIns())
    expect(standIn.cwd).to.equal(fresh)
    expect(standIn.stdin).to.include('dispatch/issue-12-fix-the-login-bug')
    expect(standIn.stdin).not.to.include('issue-12-old-title')
  })

  describe('progress on slow steps', () => {
    it('shows one status line on a terminal while the health window runs, and nothing on a piped stderr', async () => {
      // The window stays open (silent workers never reply) until the test writes this file.
      const close = path.join(sb.dir, 'close-health-window')
      const first = path.join(sb.dir, 'release-first')
      const silent = {...env, STANDIN_MODE: 'silent', STANDIN_HOLD_FILE: first, DISPATCH_FAULT_HEALTH_FILE: close}
      // Piped: stderr carries the result line and nothing else.
      writeFileSync(close, '')
      const piped = await runCli(['headless', 'acme/api#12'], {env: silent})
      expect(piped.code, piped.stderr).to.equal(0)
      expect(piped.stderr).not.to.match(/Reading|Fetching|Waiting/)
      writeFileSync(first, '')
      await waitFor('first worker to end', () => records().every((r) => r.ended_at))
      rmSync(close)

      const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'}).trim()
      tmux('new-session', '-d', '-s', 'progress', '-x', '200', '-y', '50')
      const done = path.join(sb.dir, 'done')
      tmux('send-keys', '-t', 'progress', `STANDIN_MODE=silent STANDIN_HOLD_FILE=${path.join(sb.dir, 'release')} DISPATCH_FAULT_HEALTH_FILE=${close} ${process.execPath} ${BIN} headless acme/api#12 --force >/dev/null; echo "code=$?" > ${done}`, 'Enter')
      const seen = await waitFor('the health window status line', () => {
        const pane = tmux('capture-pane', '-p', '-t', 'progress')
        return /Waiting for the worker's first reply\.\.\. \S* ?\d+s/.test(pane) && pane
      })
      expect(seen).to.match(/Reading acme\/api#12 from the forge\.\.\. done/)
      writeFileSync(close, '')
      await waitFor('dispatch to exit', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='))
      expect(readFileSync(done, 'utf8').trim()).to.equal('code=0')
    })
  })
})
