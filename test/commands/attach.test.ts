import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, killTmux, runCli, waitFor} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'

describe('attach is a worker (through the binary, real tmux)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 2, title: 'Task 2'}]})
  let {sb, env, release} = t
  beforeEach(() => ({sb, env, release} = t))

  it('registers the resumed session: list, conflicts on its claims, duplicate refusal, status, stop', async () => {
    const checkout = path.join(sb.workspace, 'acme', 'api')
    const started = await runCli(['headless', 'acme/api#2', '--claims', 'src', '--json'], {env, cwd: checkout})
    expect(started.code, started.stderr).to.equal(0)
    const w = JSON.parse(started.stdout)
    writeFileSync(release, '')
    const ended = await waitFor('the worker to end', () => records(sb).find((r) => r.pid === w.pid && r.ended_at))
    rmSync(release)

    // A private tmux server whose pane is the terminal attach needs.
    const tty = {...env, TMUX_TMPDIR: sb.dir}
    delete tty.TMUX
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env: tty, encoding: 'utf8'}).trim()
    const done = path.join(sb.dir, 'done')
    try {
      tmux('new-session', '-d', '-s', 'att', '-x', '200', '-y', '50')
      tmux('send-keys', '-t', 'att', `${process.execPath} ${BIN} attach acme/api#2; echo "code=$?" > ${done}`, 'Enter')
      await waitFor('the resumed session to show', () => tmux('capture-pane', '-p', '-t', 'att').includes(`stand-in resumed session ${ended.claude_session_id}`))
      const resumed = standIns(sb).find((s) => s.argv[0] === '--resume')!

      // Active, as an interactive session in the worker's worktree with its claims and index.
      const list = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env})).stdout)
      expect(list).to.have.length(1)
      expect(list[0]).to.deep.include({pid: resumed.pid, mode: 'interactive', ref: 'acme/api#2', cwd: ended.cwd, attached_from: w.pid, paths_claimed: ['src'], claude_session_id: ended.claude_session_id, worker_index: 0})
      expect(resumed.env).to.include({DISPATCH_WORKER_INDEX: '0', DISPATCH_PORT: '3100'})
      const conflicts = await runCli(['sidequests', 'conflicts', 'src/x.ts', '--json'], {env, cwd: checkout})
      expect(conflicts.code).to.equal(1)
      expect(JSON.parse(conflicts.stdout)[0]).to.include({pid: resumed.pid, reason: 'ancestor'})
      const dup = await runCli(['headless', 'acme/api#2'], {env})
      expect(dup.code, dup.stderr).to.equal(3)
      expect(dup.stderr).to.include(`acme/api#2 already has an active worker (pid ${resumed.pid}, interactive`)
      const status = await runCli(['status', 'acme/api#2'], {env})
      expect(status.stdout).to.match(new RegExp(`^pid +${resumed.pid}$`, 'm'))
      expect(status.stdout).to.match(/^state +RUNNING$/m)
      // A second attach of the same worker is refused: one worker per worktree.
      const again = await runCli(['attach', '--pid', String(w.pid)], {env})
      expect(again.code, again.stderr).to.equal(3)

      const stop = await runCli(['stop', 'acme/api#2', '--json'], {env})
      expect(stop.code, stop.stderr).to.equal(0)
      await waitFor('attach to exit', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='))
      const record = records(sb).find((r) => r.pid === resumed.pid)!
      expect(record).to.include({stopped: true, mode: 'interactive'})
      expect(record.ended_at).to.be.a('string')
      expect((await runCli(['sidequests', 'list', '--json'], {env})).stdout.trim()).to.equal('[]')
    } finally {
      killTmux(tty)
    }
  })

  it('refuses to resume beside another worker in the same worktree (exit 3) and writes no record', async () => {
    const started = await runCli(['headless', 'acme/api#2', '--json'], {env})
    const w = JSON.parse(started.stdout)
    writeFileSync(release, '')
    await waitFor('the worker to end', () => records(sb).find((r) => r.pid === w.pid && r.ended_at))
    rmSync(release)
    // Another worker now runs in that worktree (--force reuses the issue's own worktree when it is free).
    const other = await runCli(['headless', 'acme/api#2', '--force', '--json'], {env})
    expect(other.code, other.stderr).to.equal(0)
    const o = JSON.parse(other.stdout)
    const before = records(sb).length
    const tty = {...env, TMUX_TMPDIR: sb.dir}
    delete tty.TMUX
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env: tty, encoding: 'utf8'}).trim()
    const done = path.join(sb.dir, 'done')
    try {
      tmux('new-session', '-d', '-s', 'att', '-x', '200', '-y', '50')
      tmux('send-keys', '-t', 'att', `${process.execPath} ${BIN} attach --pid ${w.pid} 2> ${sb.dir}/err.txt; echo "code=$?" > ${done}`, 'Enter')
      await waitFor('attach to exit', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='))
      expect(readFileSync(done, 'utf8').trim()).to.equal('code=3')
      expect(readFileSync(path.join(sb.dir, 'err.txt'), 'utf8')).to.include(`The worker pid ${o.pid} (acme/api#2, headless) already runs in the worktree`)
      expect(records(sb)).to.have.length(before)
    } finally {
      killTmux(tty)
      writeFileSync(release, '')
    }
  })
})
