// Issue #11 (6): `dispatch stop <ref> | --pid N | --all`, and how status shows
// stopped and killed workers. Real binary, real stand-in workers, real signals.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {isAlive, processesIn, runCli, waitFor, type Sandbox} from '../support/helpers.js'
import {records} from '../support/state.js'

const recordOf = (sb: Sandbox, pid: number) => records(sb).find((r) => r.pid === pid)!

describe('dispatch stop (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [1, 2, 3].map((n) => ({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`}))})
  let {sb, env, pids} = t
  beforeEach(() => ({sb, env, pids} = t))

  /** A running worker that holds after its first reply. */
  async function dispatch(n: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<Record<string, any>> {
    const res = await runCli(['headless', `acme/api#${n}`, '--json'], {env: {...env, ...extraEnv}, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    pids.add(out.pid)
    return out
  }

  async function status(args: string[]): Promise<Record<string, any>> {
    const res = await runCli(['status', ...args, '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    return JSON.parse(res.stdout)
  }

  it('stops by ref with SIGINT (the session is saved), marks the record stopped, leaves other workers alone', async () => {
    const one = await dispatch(1)
    const two = await dispatch(2)
    const res = await runCli(['stop', 'acme/api#1', '--timeout', '2'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.equal(`stopped\t${one.pid}\tacme/api#1\t(SIGINT)\n`)
    expect(res.stderr).to.match(/✓ Stopped 1 worker\(s\)/)
    expect(isAlive(one.pid)).to.equal(false)
    expect(isAlive(two.pid)).to.equal(true)
    // The supervisor's end of the run and stop's mark, neither lost.
    const record = recordOf(sb, one.pid)
    expect(record).to.include({stopped: true, exit_code: 0, exit_signal: null})
    expect(record.ended_at).to.be.a('string')
    expect(record.claude_session_id).to.be.a('string')
    expect(await status(['acme/api#1'])).to.include({state: 'stopped', active: false})
    const human = await runCli(['status', 'acme/api#1'], {env, cwd: sb.dir})
    expect(human.stdout).to.match(/^state +STOPPED$/m)
  })

  it('stops by --pid (= form, flag after) with --json: the array of stopped workers', async () => {
    const one = await dispatch(1)
    const res = await runCli(['stop', `--pid=${one.pid}`, '--json', '--timeout=2'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(JSON.parse(res.stdout)).to.deep.equal([{pid: one.pid, ref: 'acme/api#1', mode: 'headless', outcome: 'stopped', signal: 'SIGINT', exit_code: 0, exit_signal: null}])
  })

  it('--all stops every active worker, from an unrelated directory', async () => {
    const one = await dispatch(1)
    const two = await dispatch(2)
    const res = await runCli(['stop', '--all', '--json'], {env, cwd: sb.home})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout) as Array<Record<string, any>>
    expect(out.map((s) => s.pid).sort()).to.deep.equal([one.pid, two.pid].sort())
    expect(out.every((s) => s.outcome === 'stopped')).to.equal(true)
    expect([one.pid, two.pid].some(isAlive)).to.equal(false)
    const list = (await status(['--all'])) as unknown as Array<Record<string, any>>
    expect(list.map((e) => e.state)).to.deep.equal(['stopped', 'stopped'])
  })

  it('a worker that ignores SIGINT gets SIGTERM', async () => {
    const one = await dispatch(1, {STANDIN_IGNORE: 'SIGINT'})
    const res = await runCli(['stop', 'acme/api#1', '--json', '--timeout', '0.5'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(JSON.parse(res.stdout)[0]).to.include({pid: one.pid, outcome: 'terminated', signal: 'SIGTERM', exit_code: 143, exit_signal: 'SIGTERM'})
    expect(isAlive(one.pid)).to.equal(false)
    expect(recordOf(sb, one.pid)).to.include({stopped: true})
  })

  it('a worker that ignores SIGINT and SIGTERM gets SIGKILL, with its process group', async () => {
    const one = await dispatch(1, {STANDIN_IGNORE: 'SIGINT,SIGTERM', STANDIN_CHILD: '1'})
    const child = await waitFor('the worker\'s tool process', () => processesIn(sb.dir).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('stand-in-tool')))
    pids.add(child)
    const res = await runCli(['stop', 'acme/api#1', '--json', '--timeout', '0.5'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(JSON.parse(res.stdout)[0]).to.include({pid: one.pid, outcome: 'killed', signal: 'SIGKILL', exit_code: 137, exit_signal: 'SIGKILL'})
    expect(isAlive(one.pid)).to.equal(false)
    await waitFor('the tool process to be gone too', () => !isAlive(child))
    expect(recordOf(sb, one.pid)).to.include({stopped: true})
    // The supervisor was not in the group: it wrote the end of the run.
    expect(recordOf(sb, one.pid).ended_at).to.be.a('string')
  })

  it('exit 4 when nothing matches; exit 2 without a selection', async () => {
    const ended = await dispatch(1)
    await runCli(['stop', 'acme/api#1'], {env, cwd: sb.dir})
    for (const args of [['stop', 'acme/api#1'], ['stop', 'acme/api#3'], ['stop', '--pid', String(ended.pid)], ['stop', '--pid', '999999']]) {
      const res = await runCli(args, {env, cwd: sb.dir})
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(4)
      expect(res.stderr).to.match(/No active worker (for acme\/api#\d|has pid \d+)\.\n.*dispatch sidequests list/)
    }
    const json = await runCli(['stop', '--json', 'acme/api#3'], {env, cwd: sb.dir})
    expect(JSON.parse(json.stdout).error).to.include({code: 'not_found', exit_code: 4})
    for (const args of [['stop'], ['stop', 'acme/api#1', '--all'], ['stop', '--all', '--timeout', 'soon']]) {
      const res = await runCli(args, {env, cwd: sb.dir})
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(2)
    }
  })

  it('status shows a worker ended by an outside kill -TERM as KILLED (SIGTERM), not EXITED 143', async () => {
    const one = await dispatch(1)
    process.kill(one.pid, 'SIGTERM')
    await waitFor('the end of the run', () => recordOf(sb, one.pid)?.ended_at)
    expect(recordOf(sb, one.pid)).to.include({exit_code: 143, exit_signal: 'SIGTERM'})
    expect(recordOf(sb, one.pid)).to.not.have.property('stopped')
    expect(await status(['acme/api#1'])).to.include({state: 'killed'})
    const human = await runCli(['status', 'acme/api#1'], {env, cwd: sb.dir})
    expect(human.stdout).to.match(/^state +KILLED \(SIGTERM\)$/m)
    const list = await runCli(['status'], {env, cwd: sb.dir})
    expect(list.stdout).to.match(/^KILLED \(SIGTERM\)\t/m)
  })

  it('an interactive session in tmux: stopped, and its pane closed even when tmux would keep it', async () => {
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'}).trim()
    const res = await runCli(['interactive', 'acme/api#1', '--surface', 'tmux', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const record = await waitFor('the session record', () => records(sb)[0])
    pids.add(record.pid)
    expect(record.tmux.pane).to.match(/^%\d+$/)
    // Keep panes open after their process exits, as many people configure tmux: only stop can close it.
    tmux('set-option', '-g', 'remain-on-exit', 'on')
    tmux('set-option', '-w', '-t', 'dispatch-acme-api-1', 'remain-on-exit', 'on')
    const stop = await runCli(['stop', 'acme/api#1', '--json', '--timeout', '2'], {env, cwd: sb.dir})
    expect(stop.code, stop.stderr + stop.stdout).to.equal(0)
    expect(JSON.parse(stop.stdout)[0]).to.include({pid: record.pid, mode: 'interactive', outcome: 'stopped', tmux_pane: record.tmux.pane})
    expect(isAlive(record.pid)).to.equal(false)
    let panes = ''
    try {
      panes = tmux('list-panes', '-a', '-F', '#{pane_id}')
    } catch {
      // No server left: the pane is certainly gone.
    }
    expect(panes.split('\n')).to.not.include(record.tmux.pane)
    expect(recordOf(sb, record.pid)).to.include({stopped: true})
    expect(recordOf(sb, record.pid).ended_at).to.be.a('string')
  })
})
