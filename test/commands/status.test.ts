import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, ROOT, STAND_IN, git, killTmux, makeRepo, runCli, startCli, waitFor, writeConfig} from '../support/helpers.js'
import {records} from '../support/state.js'

describe('status, attach and reap (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [1, 2, 3, 4, 5].map((n) => ({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`}))})
  let {forge, sb, env, release} = t
  beforeEach(() => ({forge, sb, env, release} = t))

  async function dispatch(n: number, extra: string[] = [], e = env): Promise<Record<string, any>> {
    const res = await runCli(['headless', `acme/api#${n}`, '--json', ...extra], {env: e})
    expect(res.code, res.stderr).to.equal(0)
    return JSON.parse(res.stdout)
  }

  describe('status', () => {
    it('lists running and recent workers newest first; --all adds older ones', async () => {
      const first = await dispatch(1)
      const second = await dispatch(2)
      const old = {...records(sb)[0], ref: 'acme/api#5', pid: 999_100, started_at: '2020-01-01T00:00:00.000Z', ended_at: '2020-01-01T01:00:00.000Z', exit_code: 0}
      writeFileSync(path.join(sb.stateDir, 'sidequests', '999100.json'), JSON.stringify(old))
      const list = JSON.parse((await runCli(['status', '--json'], {env})).stdout)
      expect(list.map((e: {pid: number}) => e.pid)).to.deep.equal([second.pid, first.pid])
      expect(list[0]).to.include({state: 'running', active: true})
      const all = JSON.parse((await runCli(['status', '--all', '--json'], {env})).stdout)
      expect(all.map((e: {pid: number}) => e.pid)).to.deep.equal([second.pid, first.pid, 999_100])
      const human = await runCli(['status'], {env})
      expect(human.stdout.split('\n')[0].split('\t').slice(0, 3)).to.deep.equal(['RUNNING', String(second.pid), 'acme/api#2'])
      expect((await runCli(['status', '--since', 'yesterday'], {env})).code).to.equal(2)
    })

    it('shows one worker by ref or --pid with state, cost, turns and the rendered tail', async () => {
      const w = await dispatch(3)
      writeFileSync(release, '')
      await waitFor('end', () => records(sb).find((r) => r.pid === w.pid && r.ended_at))
      const res = await runCli(['status', 'ACME/api#3', '--tail', '4'], {env})
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stdout).to.match(/^state +EXITED 0$/m)
      expect(res.stdout).to.match(/^cost +\$0\.0123$/m)
      expect(res.stdout).to.match(/^turns +3$/m)
      expect(res.stdout).to.match(/^duration +\d+s$/m)
      expect(res.stdout).to.include('last 4 event(s):')
      expect(res.stdout).to.include('  ✓ done (3 turn(s), $0.0123): Done: the change is committed on the branch.')
      const byPid = JSON.parse((await runCli(['status', '--pid', String(w.pid), '--json', '--tail', '2'], {env})).stdout)
      expect(byPid).to.include({pid: w.pid, state: 'exited', exit_code: 0, num_turns: 3})
      expect(byPid.tail).to.have.length(2)
      expect((await runCli(['status', 'acme/api#99'], {env})).code).to.equal(4)
      expect((await runCli(['status', '--pid', '1'], {env})).code).to.equal(4)
    })

    it('renders a recorded stream-json log fixture', async () => {
      const fixture = path.join(ROOT, 'test', 'fixtures', 'stream-headless.jsonl')
      mkdirSync(path.join(sb.stateDir, 'sidequests'), {recursive: true})
      writeFileSync(
        path.join(sb.stateDir, 'sidequests', '999200.json'),
        JSON.stringify({schema_version: 1, pid: 999_200, pid_start_time: null, mode: 'headless', ref: 'acme/api#9', forge: 'github', url: 'u', title: 't', started_at: '2026-01-01T00:00:00.000Z', parent_session: null, paths_claimed: [], cwd: '/x', branch: 'b', log_path: fixture, cascade_depth: 0, claude_session_id: null, ended_at: '2026-01-01T00:01:00.000Z', exit_code: 0}),
      )
      const res = await runCli(['status', '--pid', '999200', '--tail', '50'], {env})
      expect(res.stdout).to.include('→ Bash: echo hello > hello.txt && git add hello.txt')
      expect(res.stdout).to.include('→ Edit: /work/repo/src/app.ts')
      expect(res.stdout).to.include('✗ tool error: exit 1: FAIL test/app.test.ts')
      expect(res.stdout).to.include('✓ done (4 turn(s), $0.0312): Committed the fix on the branch.')
      expect(res.stdout).not.to.include('\u001b')
    })

    it('shows CRASHED for a failed start and UNKNOWN for a worker that vanished without an end', async () => {
      expect((await runCli(['headless', 'acme/api#4'], {env: {...env, STANDIN_MODE: 'crash'}})).code).to.equal(1)
      expect((await runCli(['status', 'acme/api#4'], {env})).stdout).to.match(/^state +CRASHED/m)
      const gone = {...records(sb)[0], pid: 999_300, ended_at: undefined, crashed: undefined, exit_code: undefined}
      writeFileSync(path.join(sb.stateDir, 'sidequests', '999300.json'), JSON.stringify(gone))
      expect((await runCli(['status', '--pid', '999300'], {env})).stdout).to.match(/^state +UNKNOWN/m)
    })

    it('--follow streams new events and ends with the exit code', async () => {
      const w = await dispatch(5, [], {...env, STANDIN_EXIT: '3'})
      const following = startCli(['status', '--pid', String(w.pid), '--follow', '--tail', '0'], {env})
      // Release the worker only once the follower has printed its header and is watching.
      await waitFor('follower to print its header', () => following.stdout().includes('log '))
      writeFileSync(release, '')
      const res = await following.done
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stdout).to.include('✓ done (3 turn(s), $0.0123)')
      expect(res.stdout).to.match(/acme\/api#5 EXITED 3 \(exit code 3\)/)
      expect((await runCli(['status', '--follow'], {env})).code).to.equal(2)
    })
  })

  describe('attach', () => {
    it('refuses while the worker runs and says how to follow it', async () => {
      const w = await dispatch(1)
      const res = await runCli(['attach', 'acme/api#1'], {env})
      expect(res.code).to.equal(3)
      expect(res.stderr).to.match(/still running[\s\S]*dispatch status --pid \d+ --follow/)
      expect(w.pid).to.be.a('number')
    })

    it('resumes a finished worker\'s session in its worktree, on a terminal, with the configured claude options', async () => {
      const w = await dispatch(2)
      writeFileSync(release, '')
      const ended = await waitFor('end', () => records(sb).find((r) => r.pid === w.pid && r.ended_at))
      // Read at attach time: the session resumes with what the config says now.
      writeConfig(sb, {github: forge.github}, {claude: {bin: STAND_IN, permissionMode: 'acceptEdits', allowedTools: ['Read', 'Edit'], model: 'claude-opus-x', extraArgs: ['--add-dir', '/srv/shared']}})
      rmSync(release)
      const before = readdirSync(sb.recordDir).length
      // A private tmux server whose pane is the terminal attach needs.
      const tty = {...env, TMUX_TMPDIR: sb.dir}
      delete tty.TMUX
      const tmux = (...args: string[]) => execFileSync('tmux', args, {env: tty, encoding: 'utf8'}).trim()
      try {
        tmux('new-session', '-d', '-s', 'att', '-x', '200', '-y', '50')
        const done = path.join(sb.dir, 'done')
        tmux('send-keys', '-t', 'att', `STANDIN_EXIT=6 ${process.execPath} ${BIN} attach --pid ${w.pid}; echo "code=$?" > ${done}`, 'Enter')
        await waitFor('the resumed session to show', () => tmux('capture-pane', '-p', '-t', 'att').includes(`stand-in resumed session ${ended.claude_session_id}`))
        writeFileSync(release, '')
        await waitFor('attach to exit', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='))
        expect(readFileSync(done, 'utf8').trim()).to.equal('code=6')
      } finally {
        killTmux(tty)
      }
      const resumed = readdirSync(sb.recordDir)
        .map((f) => JSON.parse(readFileSync(path.join(sb.recordDir, f), 'utf8')))
        .find((r) => r.argv[0] === '--resume')
      expect(readdirSync(sb.recordDir)).to.have.length(before + 1)
      expect(resumed).to.deep.include({
        argv: ['--resume', ended.claude_session_id, '--permission-mode', 'acceptEdits', '--allowedTools', 'Read,Edit', '--model', 'claude-opus-x', '--add-dir', '/srv/shared'],
        cwd: ended.cwd,
      })
    })

    it('refuses without a terminal (exit 2) and starts nothing', async () => {
      const w = await dispatch(4)
      writeFileSync(release, '')
      const ended = await waitFor('end', () => records(sb).find((r) => r.pid === w.pid && r.ended_at))
      const before = readdirSync(sb.recordDir).length
      for (const args of [['attach', 'acme/api#4'], ['attach', '--json', '--pid', String(w.pid)]]) {
        const res = await runCli(args, {env, cwd: sb.dir})
        expect(res.code, res.stderr).to.equal(2)
        const message = args.includes('--json') ? JSON.parse(res.stdout).error.message : res.stderr
        expect(message).to.match(/dispatch attach needs a terminal: .*stdin and stdout are not terminals/)
      }
      expect((await runCli(['attach', 'acme/api#4'], {env})).stderr).to.include(`claude --resume ${ended.claude_session_id}`)
      expect(readdirSync(sb.recordDir)).to.have.length(before)
    })

    it('says why when there is no session id, and asks for a selector', async () => {
      expect((await runCli(['headless', 'acme/api#3'], {env: {...env, STANDIN_MODE: 'crash'}})).code).to.equal(1)
      const crashed = records(sb)[0]
      writeFileSync(path.join(sb.stateDir, 'sidequests', `${crashed.pid}.json`), JSON.stringify({...crashed, claude_session_id: null}))
      const res = await runCli(['attach', 'acme/api#3'], {env})
      expect(res.code).to.equal(1)
      expect(res.stderr).to.match(/cannot be resumed: its log has no session id/)
      expect((await runCli(['attach'], {env})).code).to.equal(2)
    })
  })

  describe('reap', () => {
    const wt = (n: number) => path.join(sb.worktreeRoot, 'acme', 'api', `issue-${n}-task-${n}`)
    const checkout = () => path.join(sb.workspace, 'acme', 'api')

    it('removes merged, keeps unmerged, dirty, deleted-upstream-but-unmerged and active; --dry-run removes nothing', async () => {
      for (const n of [1, 2, 3, 4]) await dispatch(n)
      writeFileSync(release, '')
      await waitFor('four ends', () => records(sb).filter((r) => r.ended_at).length === 4)
      // 5: still running (dispatched first: its own quiet sweep would otherwise reap 1 and 4).
      await dispatch(5, [], {...env, STANDIN_HOLD_FILE: path.join(sb.dir, 'never')})
      // 1: merged into main (fast-forward) on origin.
      git(wt(1), 'commit', '-q', '--allow-empty', '-m', 'work 1')
      git(checkout(), 'merge', '-q', '--ff-only', 'dispatch/issue-1-task-1')
      git(checkout(), 'push', '-q', 'origin', 'main')
      // 2: unmerged commit.
      git(wt(2), 'commit', '-q', '--allow-empty', '-m', 'work 2')
      // 3: dirty.
      writeFileSync(path.join(wt(3), 'scratch.txt'), 'uncommitted')
      // 4: pushed, then deleted upstream (say, after a squash merge): its commit is on no branch any more.
      git(wt(4), 'commit', '-q', '--allow-empty', '-m', 'work 4')
      git(wt(4), 'push', '-q', '-u', 'origin', 'dispatch/issue-4-task-4')
      git(checkout(), 'push', '-q', 'origin', '--delete', 'dispatch/issue-4-task-4')

      const dry = JSON.parse((await runCli(['reap', '--dry-run', '--json'], {env})).stdout)
      const byPath = (list: Array<{path: string; action: string; reason: string}>, n: number) => list.find((e) => e.path === wt(n))!
      expect(byPath(dry, 1)).to.include({action: 'would-remove', reason: 'merged into main'})
      expect(existsSync(wt(1))).to.equal(true)

      const res = await runCli(['reap', '--json'], {env})
      expect(res.code, res.stderr).to.equal(0)
      const out = JSON.parse(res.stdout)
      expect(byPath(out, 1)).to.include({action: 'removed', reason: 'merged into main'})
      expect(byPath(out, 2)).to.include({action: 'kept', reason: '1 commit not on main or any remote branch'})
      expect(byPath(out, 3)).to.include({action: 'kept', reason: 'uncommitted changes'})
      expect(byPath(out, 4)).to.include({action: 'kept', reason: '1 commit not on main or any remote branch'})
      expect(byPath(out, 5).action).to.equal('kept')
      expect(byPath(out, 5).reason).to.match(/^active worker pid \d+/)
      expect(existsSync(wt(1))).to.equal(false)
      expect(existsSync(wt(2)) && existsSync(wt(3)) && existsSync(wt(4)) && existsSync(wt(5))).to.equal(true)
      expect(git(checkout(), 'branch', '--list', 'dispatch/issue-1-task-1')).to.equal('')
      expect(git(checkout(), 'branch', '--list', 'dispatch/issue-2-task-2')).to.include('issue-2')
      expect(git(checkout(), 'worktree', 'list')).not.to.include('issue-1-task-1')
      writeFileSync(path.join(sb.dir, 'never'), '')
    })

    it('works with a default branch that is not main, and runs quietly before a dispatch', async () => {
      const sb2 = sb
      const repo = makeRepo(sb2, 'Solo-Dev', 'tool', {defaultBranch: 'trunk'})
      forge.addIssue({owner: 'Solo-Dev', repo: 'tool', number: 1, title: 'One'})
      forge.addIssue({owner: 'Solo-Dev', repo: 'tool', number: 2, title: 'Two'})
      const res = await runCli(['headless', 'Solo-Dev/tool#1', '--json'], {env: {...env, STANDIN_COMMIT: '1'}})
      expect(res.code, res.stderr).to.equal(0)
      writeFileSync(release, '')
      const first = await waitFor('end', () => records(sb).find((r) => r.ended_at))
      git(repo, 'merge', '-q', '--ff-only', first.branch)
      git(repo, 'push', '-q', 'origin', 'trunk')
      // The next dispatch into the same repo sweeps the merged worktree (once it is older than the sweep's grace period).
      const old = new Date(Date.now() - 600_000)
      utimesSync(path.join(first.cwd, '.git'), old, old)
      const next = await runCli(['headless', 'Solo-Dev/tool#2'], {env})
      expect(next.code, next.stderr).to.equal(0)
      // The sweep runs in the background once the worker started.
      await waitFor('the background sweep', () => !existsSync(first.cwd) && !existsSync(path.join(sb.stateDir, 'locks', 'sweep-Solo-Dev+tool.lock')), 60_000)
      expect(git(repo, 'branch', '--list', first.branch)).to.equal('')
    })
  })
})
