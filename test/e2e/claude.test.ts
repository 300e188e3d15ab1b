// End-to-end with the real Claude Code CLI (the pinned @anthropic-ai/claude-code
// devDependency's native binary) against a loopback Messages API. No network:
// the forge and the model are both servers on 127.0.0.1.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {useSlurm} from '../support/slurm.js'
import {BIN, descendants, git, isAlive, makeRepo, runCli, waitFor, writeConfig} from '../support/helpers.js'
import * as state from '../support/state.js'
import {API_KEY, claudeBinary, loopbackModelEnv} from '../support/real-claude.js'
import {conversationText, lastToolResult, startModelServer, type ModelServer, type Script} from '../support/model-server.js'



describe('e2e: the real Claude Code CLI', function () {
  this.timeout(120_000)
  const claude = claudeBinary()
  const t = useForgeSandbox({exitWaitMs: 15_000, teardown: () => model?.close()})
  let {forge, sb} = t
  let model: ModelServer
  let env: NodeJS.ProcessEnv
  let script: Script

  const records = () => state.records(sb)
  const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'})

  before(function () {
    if (!claude) throw new Error(`@anthropic-ai/claude-code-${process.platform}-${process.arch} is not installed; run npm ci`)
  })

  beforeEach(async () => {
    ;({forge, sb} = t)
    model = await startModelServer((req, turn) => script(req, turn))
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'Add an E2E note', body: 'Write E2E.md and commit it.'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, title: 'A sub-task', body: 'The child part.'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 3, title: 'Not for headless workers'})
    const events = path.join(sb.dir, 'notify.jsonl')
    writeConfig(sb, {github: forge.github}, {
      healthWindowMs: 20_000,
      claude: {bin: claude, permissionMode: 'acceptEdits', allowedTools: ['Bash', 'Read', 'Edit', 'Write']},
      notify: {command: `cat >> ${events}`},
    })
    const tmp = path.join(sb.dir, 'tmp')
    mkdirSync(tmp)
    env = {
      ...t.env,
      ...loopbackModelEnv(model.url, tmp),
      TERM: 'xterm-256color',
    }
  })

  /** Script: run one Bash command, then finish with a text. */
  const bashThenDone = (command: string, done: string): Script => (req) => (lastToolResult(req) === undefined ? {tool: {name: 'Bash', input: {command, description: 'scripted step'}}} : {text: done})

  async function headlessCommits(): Promise<Record<string, any>> {
    script = bashThenDone(`printf 'e2e\\n' > E2E.md && git add E2E.md && git commit -q -m "Add the E2E note" -m "closes #1"`, 'Committed the E2E note on the branch.')
    const res = await runCli(['headless', 'acme/api#1', '--json'], {env, timeoutMs: 60_000})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out.health).to.be.oneOf(['replied', 'finished'])
    return waitFor('the worker to end', () => records().find((r) => r.pid === out.pid && r.ended_at), 60_000)
  }

  it('1. headless: the real claude commits on the dispatch branch; record, status and notify agree', async () => {
    const record = await headlessCommits()
    expect(record).to.include({exit_code: 0, mode: 'headless', branch: 'dispatch/issue-1-add-an-e2e-note'})
    expect(record.num_turns).to.be.a('number').and.to.be.greaterThan(0)
    expect(record.cost_usd).to.be.a('number')
    expect(record.claude_session_id).to.match(/^[0-9a-f-]{36}$/)
    expect(git(record.cwd, 'log', '-1', '--format=%s%n%b', 'dispatch/issue-1-add-an-e2e-note')).to.match(/Add the E2E note\s+closes #1/)
    expect(git(record.checkout, 'log', '--format=%s', 'main')).not.to.include('Add the E2E note')
    expect(readFileSync(path.join(record.cwd, 'E2E.md'), 'utf8')).to.equal('e2e\n')

    const status = await runCli(['status', 'acme/api#1', '--tail', '20'], {env})
    expect(status.stdout).to.match(/^state +EXITED 0$/m)
    expect(status.stdout).to.include('→ Bash: printf')
    expect(status.stdout).to.include('◆ Committed the E2E note on the branch.')
    expect(status.stdout).to.match(/✓ done \(\d+ turn\(s\)/)

    const events = await waitFor('two notifications', () => {
      const file = path.join(sb.dir, 'notify.jsonl')
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []
      return lines.length >= 2 && lines.map((l) => JSON.parse(l))
    })
    expect(events.map((e) => e.event).sort()).to.deep.equal(['dispatched', 'finished'])
    // The model saw the seeded prompt, fenced as tracker data.
    expect(conversationText(model.requests.find((r) => r.tools?.length)!)).to.include('Write E2E.md and commit it.')
    if (process.env.DISPATCH_E2E_SAVE_FIXTURE) writeFileSync(process.env.DISPATCH_E2E_SAVE_FIXTURE, readFileSync(record.log_path))
  })

  it('1s. headless in the bubblewrap sandbox: the real claude reaches the model through the proxy and commits on its branch', async () => {
    writeConfig(sb, {github: forge.github}, {
      healthWindowMs: 20_000,
      claude: {bin: claude, permissionMode: 'acceptEdits', allowedTools: ['Bash', 'Read', 'Edit', 'Write']},
      sandbox: {kind: 'bubblewrap'},
    })
    const record = await headlessCommits()
    expect(record, readFileSync(record.log_path, 'utf8').slice(-2000)).to.include({exit_code: 0, mode: 'headless', branch: 'dispatch/issue-1-add-an-e2e-note'})
    expect(git(record.checkout, 'log', '-1', '--format=%s', 'dispatch/issue-1-add-an-e2e-note')).to.equal('Add the E2E note')
    expect(record.claude_session_id).to.match(/^[0-9a-f-]{36}$/)
    // The transcript attach resumes survived the sandbox, under the operator's Claude config.
    const projects = path.join(sb.claudeDir, 'projects')
    expect(readdirSync(projects).some((d) => readdirSync(path.join(projects, d)).includes(`${record.claude_session_id}.jsonl`))).to.equal(true)
  })

  it('2. a 400 from the model at start: exit 1, the error in the tail, record crashed', async () => {
    script = () => ({error: {status: 400, type: 'invalid_request_error', message: 'scripted bad request'}})
    const res = await runCli(['headless', 'acme/api#1'], {env, timeoutMs: 60_000})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/failed to start/)
    expect(res.stderr).to.include('scripted bad request')
    expect(records()[0]).to.include({crashed: true})
  })

  it('2b. a 401 that claude would retry for minutes is stopped at once', async () => {
    script = () => ({error: {status: 401, type: 'authentication_error', message: 'invalid x-api-key'}})
    const started = Date.now()
    const res = await runCli(['headless', 'acme/api#1'], {env, timeoutMs: 60_000})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/401/)
    const record = await waitFor('crashed record to end', () => records().find((r) => r.ended_at))
    expect(record.crashed).to.equal(true)
    expect(isAlive(record.pid)).to.equal(false)
    // Claude would retry for minutes; stopped at once is well inside this bound on a loaded machine.
    expect(Date.now() - started).to.be.below(90_000)
  })

  it('3. cascade: the worker dispatches a headless child; the child may not dispatch further', async () => {
    script = (req) => {
      const text = conversationText(req)
      // The prompt names the exact command that runs this dispatch.
      const dispatch = /([^\s`"]+ [^\s`"]+\/bin\/run\.js) headless/.exec(text)?.[1]
      const result = lastToolResult(req)
      if (text.includes('acme/api#2')) {
        // The child (headless): try to dispatch, get refused, finish.
        // (A headless prompt names no dispatch command; the child tries the same binary anyway.)
        return result === undefined ? {tool: {name: 'Bash', input: {command: `${process.execPath} ${BIN} headless acme/api#3 2>&1; echo "exit=$?"`, description: 'try'}}} : {text: 'Child finished.'}
      }
      return result === undefined ? {tool: {name: 'Bash', input: {command: `${dispatch} headless acme/api#2 --claims sub 2>&1; echo "exit=$?"`, description: 'delegate'}}} : {text: 'Delegated the sub-task.'}
    }
    const res = await runCli(['cascade', 'acme/api#1', '--depth', '2', '--json'], {env, timeoutMs: 60_000})
    expect(res.code, res.stderr).to.equal(0)
    const parent = await waitFor('parent to end', () => records().find((r) => r.mode === 'cascade' && r.ended_at), 60_000)
    const child = await waitFor('child to end', () => records().find((r) => r.ref === 'acme/api#2' && r.ended_at), 60_000)
    expect(child).to.include({mode: 'headless', cascade_depth: 0, parent_session: parent.claude_session_id, exit_code: 0})
    expect(parent.cascade_depth).to.equal(2)
    const refusal = model.requests.map((r) => lastToolResult(r) ?? '').find((t) => t.includes('acme/api#3') || t.includes('cascade budget'))
    expect(refusal).to.match(/no cascade budget left[\s\S]*exit=3/)
    expect(records().some((r) => r.ref === 'acme/api#3')).to.equal(false)
  })

  it('3s. cascade in the sandbox: the worker\'s dispatch goes out through the relay, and its child is sandboxed too', async () => {
    writeConfig(sb, {github: forge.github}, {
      healthWindowMs: 20_000,
      claude: {bin: claude, permissionMode: 'acceptEdits', allowedTools: ['Bash', 'Read', 'Edit', 'Write']},
      sandbox: {kind: 'bubblewrap'},
    })
    script = (req) => {
      const text = conversationText(req)
      const dispatch = /([^\s`"]+ [^\s`"]+\/bin\/run\.js) headless/.exec(text)?.[1]
      const result = lastToolResult(req)
      if (text.includes('acme/api#2')) {
        // The child: the operator's config is out of its sight, as in its parent's sandbox.
        return result === undefined ? {tool: {name: 'Bash', input: {command: `cat ${sb.configFile} 2>&1; echo "exit=$?"`, description: 'look'}}} : {text: 'Child finished.'}
      }
      return result === undefined ? {tool: {name: 'Bash', input: {command: `${dispatch} headless acme/api#2 --claims sub 2>&1; echo "exit=$?"`, description: 'delegate'}}} : {text: 'Delegated the sub-task.'}
    }
    const res = await runCli(['cascade', 'acme/api#1', '--depth', '2', '--json'], {env, timeoutMs: 60_000})
    expect(res.code, res.stderr).to.equal(0)
    const parent = await waitFor('parent to end', () => records().find((r) => r.mode === 'cascade' && r.ended_at), 60_000)
    const child = await waitFor('child to end', () => records().find((r) => r.ref === 'acme/api#2' && r.ended_at), 60_000)
    expect(child).to.include({mode: 'headless', cascade_depth: 0, parent_session: parent.claude_session_id, exit_code: 0})
    const delegated = model.requests.map((r) => lastToolResult(r) ?? '').find((t) => t.includes('Started headless worker'))
    expect(delegated).to.match(/exit=0/)
    const looked = model.requests.map((r) => lastToolResult(r) ?? '').find((t) => t.includes(sb.configFile))
    expect(looked).to.match(/No such file or directory[\s\S]*exit=1/)
  })

  /** The TUI needs onboarding done and the key approved; dispatch only adds the folder trust. */
  function seedClaudeConfig(): void {
    writeFileSync(
      path.join(sb.claudeDir, '.claude.json'),
      JSON.stringify({hasCompletedOnboarding: true, lastOnboardingVersion: '2.1.328', customApiKeyResponses: {approved: [API_KEY.slice(-20)], rejected: []}, projects: {}}),
    )
  }

  it('4. interactive under tmux: the TUI shows the seeded prompt and the reply, with no trust dialog', async () => {
    seedClaudeConfig()
    script = () => ({text: 'Hello from the scripted model, ready to work.'})
    const res = await runCli(['interactive', 'acme/api#1', '--surface', 'tmux', '--json'], {env, timeoutMs: 60_000})
    expect(res.code, res.stderr).to.equal(0)
    const target = JSON.parse(res.stdout).surface.tmux_target
    const screen = await waitFor('the reply on screen', () => {
      const text = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', target)
      return text.includes('Hello from the scripted model') && text
    }, 60_000)
    // The seeded prompt was submitted as the first message (its tail is on screen above the reply).
    expect(screen).to.include('Write E2E.md and commit it.')
    expect(screen).to.include('the pull request is the review gate')
    expect(screen).not.to.match(/trust the files in this folder/i)
    const trusted = JSON.parse(readFileSync(path.join(sb.claudeDir, '.claude.json'), 'utf8'))
    expect(trusted.hasCompletedOnboarding).to.equal(true)
    expect(Object.values(trusted.projects as Record<string, {hasTrustDialogAccepted?: boolean}>).some((p) => p.hasTrustDialogAccepted)).to.equal(true)
    expect(records()[0]).to.include({mode: 'interactive', ref: 'acme/api#1'})
    // The real claude took the prompt from stdin: it is not in its argv.
    const cmdline = readFileSync(`/proc/${records()[0].pid}/cmdline`, 'utf8')
    expect(cmdline).to.include('--permission-mode')
    expect(cmdline).not.to.include('Write E2E.md')
  })

  it('4s. interactive under tmux in the sandbox: the TUI runs confined, shows the prompt and the reply', async () => {
    seedClaudeConfig()
    writeConfig(sb, {github: forge.github}, {
      healthWindowMs: 20_000,
      claude: {bin: claude, permissionMode: 'acceptEdits', allowedTools: ['Bash', 'Read', 'Edit', 'Write']},
      sandbox: {kind: 'bubblewrap'},
    })
    script = () => ({text: 'Hello from the scripted model, in the sandbox.'})
    const res = await runCli(['interactive', 'acme/api#1', '--surface', 'tmux', '--json'], {env, timeoutMs: 60_000})
    expect(res.code, res.stderr).to.equal(0)
    const target = JSON.parse(res.stdout).surface.tmux_target
    const screen = await waitFor('the reply on screen', () => {
      const text = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', target)
      return text.includes('Hello from the scripted model, in the sandbox.') && text
    }, 60_000)
    expect(screen).to.include('Write E2E.md and commit it.')
    expect(screen).not.to.match(/trust the files in this folder/i)
    // The pid on record is bwrap's, running the bridge and claude.
    const cmdline = readFileSync(`/proc/${records()[0].pid}/cmdline`, 'utf8').split('\0')
    expect(cmdline[0]).to.match(/bwrap$/)
    expect(cmdline).to.include('--unshare-all')
    expect(cmdline.join(' ')).not.to.include('Write E2E.md')
  })

  it('5. attach: resumes the finished headless session in its worktree and shows the earlier conversation', async () => {
    const record = await headlessCommits()
    seedClaudeConfig()
    script = () => ({text: 'Resumed and listening.'})
    tmux('new-session', '-d', '-s', 'attach', '-x', '200', '-y', '50')
    tmux('send-keys', '-t', 'attach', `${process.execPath} ${BIN} attach acme/api#1`, 'Enter')
    const screen = await waitFor('the earlier conversation on screen', () => {
      const text = tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', 'attach')
      return text.includes('Committed the E2E note on the branch.') && text
    }, 60_000)
    // The earlier session, not a new one: the seeded headless prompt, its shell command and its last reply are back.
    expect(screen).to.include('You are working unattended on acme/api#1')
    expect(screen).to.include('Ran 1 shell command')
    expect(screen).not.to.match(/trust this folder/i)
    // claude runs in the worker's worktree.
    const panePid = Number(tmux('list-panes', '-t', 'attach', '-F', '#{pane_pid}').trim())
    const resumed = descendants(panePid).find((p) => {
      try {
        return readlinkSync(`/proc/${p}/exe`) === claude
      } catch {
        return false
      }
    })
    expect(resumed, 'a claude process under the pane').to.be.a('number')
    expect(readlinkSync(`/proc/${resumed}/cwd`)).to.equal(record.cwd)
  })
  // Its own suite, so the cluster starts only for it (and skips, with the reason, where Slurm can't run).
  describe('on the one-node Slurm cluster', function () {
    const slurm = useSlurm(this)

    it('6. headless --runner slurm: the real claude commits on the branch inside the job; record (job id, exit code, cost) and status agree', async () => {
      script = bashThenDone(`printf 'e2e\\n' > E2E.md && git add E2E.md && git commit -q -m "Add the E2E note" -m "closes #1"`, 'Committed the E2E note on the branch.')
      const cluster = slurm.cluster()
      const senv = {...env, ...cluster.env}
      const res = await runCli(['headless', 'acme/api#1', '--runner', 'slurm', '--wait-start', '--json'], {env: senv, timeoutMs: 90_000})
      expect(res.code, res.stderr).to.equal(0)
      const out = JSON.parse(res.stdout)
      expect(out).to.include({runner: 'slurm', ref: 'acme/api#1'})
      expect(out.job_id).to.match(/^\d+$/)
      expect(out.health).to.be.oneOf(['replied', 'finished'])
      const record = await waitFor('the job to record its end', () => records().find((r) => r.job_id === out.job_id && r.ended_at), 90_000)
      expect(record).to.include({runner: 'slurm', exit_code: 0, node: cluster.node, branch: 'dispatch/issue-1-add-an-e2e-note'})
      expect(record.cost_usd).to.be.a('number')
      expect(record.num_turns).to.be.a('number').and.to.be.greaterThan(0)
      expect(git(record.cwd, 'log', '-1', '--format=%s%n%b', record.branch)).to.match(/Add the E2E note\s+closes #1/)
      expect(readFileSync(path.join(record.cwd, 'E2E.md'), 'utf8')).to.equal('e2e\n')
      // The scheduler agrees: the job's exit code is claude's.
      const state = async () => (await cluster.client('squeue', '-h', '--states=all', `--jobs=${out.job_id},${out.job_id}`, '-o', '%T')).trim()
      await waitFor('the scheduler to see the job complete', async () => (await state()) === 'COMPLETED')
      const block = JSON.parse((await runCli(['status', 'acme/api#1', '--json'], {env: senv})).stdout)
      expect(block).to.include({job_id: out.job_id, job_state: 'COMPLETED', state: 'exited', exit_code: 0, active: false, cost_usd: record.cost_usd})
      const status = await runCli(['status', 'acme/api#1', '--tail', '20'], {env: senv})
      expect(status.stdout).to.match(/^state +EXITED 0$/m)
      expect(status.stdout).to.include('◆ Committed the E2E note on the branch.')
    })
  })
})
