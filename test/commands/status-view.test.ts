import {expect} from 'chai'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {processStartTime} from '../../src/lib/proc.js'
import {BIN, killTmux, runCli, startCli, waitFor} from '../support/helpers.js'
import {useSandbox} from '../support/forge-sandbox.js'
import {sampleRecord, writeRecord} from '../support/state.js'

/** A real, sleeping process to stand for a live worker. */
function sleeper(): ChildProcess {
  return spawn('sleep', ['60'], {stdio: 'ignore'})
}

describe('status and sidequests list explain (through the binary)', function () {
  this.timeout(60_000)
  // The forge is a closed loopback port: finished workers' outcomes come out "unknown", and nothing leaves the machine.
  const t = useSandbox((sb) =>
    writeFileSync(sb.configFile, JSON.stringify({allowedOwners: ['acme'], stateDir: sb.stateDir, worktreeRoot: sb.worktreeRoot, github: {apiUrl: 'http://127.0.0.1:2', webUrl: 'http://127.0.0.1:2/web'}})),
  )
  let {sb, procs} = t
  beforeEach(() => ({sb, procs} = t))

  function write(pid: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const record = sampleRecord(pid, {
      schema_version: 2,
      repo: 'acme/api',
      url: 'https://github.com/acme/api/issues/1',
      started_at: new Date(Date.now() - 120_000).toISOString(),
      paths_claimed: ['src'],
      cwd: path.join(sb.dir, 'wt'),
      branch: 'dispatch/issue-1',
      ...extra,
    })
    writeRecord(sb, record)
    return record
  }

  it('the status list carries cost and last activity; piped, times are ISO', async () => {
    const log = path.join(sb.dir, 'w.log')
    writeFileSync(log, '{}\n')
    const grew = new Date('2026-11-20T10:00:00.000Z')
    utimesSync(log, grew, grew)
    write(999_401, {ended_at: new Date().toISOString(), exit_code: 0, cost_usd: 0.256, log_path: log})
    const res = await runCli(['status', '--all'], {env: sb.env})
    expect(res.code, res.stderr).to.equal(0)
    const row = res.stdout.trim().split('\t')
    expect(row).to.deep.equal(['EXITED 0', '999401', 'acme/api#401', 'headless', row[4], grew.toISOString(), '$0.26', 'unknown', 'Task 999401', '1'])
    const json = JSON.parse((await runCli(['status', '--all', '--json'], {env: sb.env})).stdout)
    expect(json[0]).to.include({last_activity: grew.toISOString(), cost_usd: 0.256})
  })

  it('status and sidequests list share one renderer: the same rows, headed, on a terminal', async () => {
    const live = sleeper()
    procs.push(live)
    await waitFor('sleeper', () => processStartTime(live.pid!))
    write(live.pid!, {cost_usd: null})
    const env: NodeJS.ProcessEnv = {...sb.env, TMUX_TMPDIR: sb.dir}
    delete env.TMUX
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'})
    try {
      for (const [name, args] of [['status', 'status'], ['list', 'sidequests list']]) {
        const done = path.join(sb.dir, `${name}.done`)
        tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '20', `${process.execPath} ${BIN} ${args}; echo $? > ${done}; sleep 600`)
        await waitFor(`${name} in its pane`, () => existsSync(done) && readFileSync(done, 'utf8').trim() !== '')
        const screen = tmux('capture-pane', '-p', '-t', name).split('\n').filter(Boolean)
        if (name === 'status') {
          expect(screen[0]).to.match(/^STATE\s+PID\s+REF\s+MODE\s+STARTED\s+LAST ACTIVITY\s+COST\s+OUTCOME\s+TITLE$/)
          expect(screen[1]).to.match(new RegExp(`^RUNNING\\s+${live.pid}\\s+acme/api#\\d+\\s+headless\\s+2m ago\\s+-\\s+-\\s+-\\s+Task`))
        } else {
          expect(screen[0]).to.match(/^REF\s+MODE\s+PID\s+STARTED\s+BRANCH\s+CLAIMS\s+TITLE$/)
          expect(screen[1]).to.match(new RegExp(`^acme/api#\\d+\\s+headless\\s+${live.pid}\\s+2m ago\\s+dispatch/issue-1\\s+src\\s+Task`))
        }
      }
    } finally {
      killTmux(env)
    }
  })

  it('an interactive worker says how to get back to it: its tmux pane while live, the session after', async () => {
    const live = sleeper()
    procs.push(live)
    await waitFor('sleeper', () => processStartTime(live.pid!))
    write(live.pid!, {mode: 'interactive', tmux: {socket: '/tmp/tmux-0/default', pane: '%7'}})
    const block = await runCli(['status', '--pid', String(live.pid)], {env: sb.env})
    expect(block.stdout).to.include('tmux      pane %7 (socket /tmp/tmux-0/default)\n')
    expect(block.stdout).to.include("back      tmux -S /tmp/tmux-0/default attach -t %7\n")
    const attachLive = await runCli(['attach', '--pid', String(live.pid)], {env: sb.env})
    expect(attachLive.code).to.equal(2)
    expect(attachLive.stderr).to.include('is an interactive session').and.to.include('It is live: tmux -S /tmp/tmux-0/default attach -t %7')

    write(999_402, {mode: 'interactive', ended_at: new Date().toISOString(), exit_code: 0, claude_session_id: 'sess-42'})
    const ended = await runCli(['attach', '--pid', '999402'], {env: sb.env})
    expect(ended.code).to.equal(2)
    expect(ended.stderr).to.include(`Resume it in its worktree: cd ${path.join(sb.dir, 'wt')} && claude --resume sess-42`)
    expect((await runCli(['status', '--pid', '999402'], {env: sb.env})).stdout).to.include(`back      cd ${path.join(sb.dir, 'wt')} && claude --resume sess-42\n`)
    write(999_403, {mode: 'interactive', ended_at: new Date().toISOString(), exit_code: 0})
    expect((await runCli(['status', '--pid', '999403'], {env: sb.env})).stdout).to.include('&& claude --continue\n')
  })

  it('--follow is headed as following, and says Ctrl-C leaves the worker running', async () => {
    const live = sleeper()
    procs.push(live)
    await waitFor('sleeper', () => processStartTime(live.pid!))
    const log = path.join(sb.dir, 'f.log')
    writeFileSync(log, JSON.stringify({type: 'system', subtype: 'init', session_id: 's', model: 'm'}) + '\n')
    const rec = write(live.pid!, {log_path: log})
    const following = startCli(['status', '--pid', String(live.pid), '--follow'], {env: sb.env})
    await waitFor('the header', () => following.stdout().includes('following until it exits'))
    expect(following.stdout()).to.include('last 1 event(s), then following until it exits (Ctrl-C stops following, not the worker):\n  • session started (m) s\n')
    writeFileSync(path.join(sb.stateDir, 'sidequests', `${live.pid}.json`), JSON.stringify({...rec, ended_at: new Date().toISOString(), exit_code: 0}))
    const res = await following.done
    expect(res.code).to.equal(0)
    expect(res.stdout).to.match(/EXITED 0 \(exit code 0\)\n$/)
  })
})
