import {expect} from 'chai'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'

import {expectNothingCreated, useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {git, isAlive, makeRepo, runCli, waitFor, writeConfig} from '../support/helpers.js'
import {auditLines, records, standIns} from '../support/state.js'

describe('dispatch headless / cascade (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789'}})
  let {forge, sb, env} = t

  beforeEach(() => {
    ;({forge, sb, env} = t)
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 13, title: 'Second issue'})
  })

  it('dispatches a worker: worktree, record, log, stand-in argv/env/cwd, audit', async () => {
    const res = await runCli(['headless', 'acme/api#12', '--claims', 'src/auth,docs', '--model', 'opus', '--max-budget-usd', '2.5', '--', '--max-turns', '9'], {env: {...env, CLAUDE_CODE_SESSION_ID: 'parent-session-1'}, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/✓ Started headless worker for acme\/api#12/)
    expect(res.stdout).to.match(/^pid +\d+$/m)
    expect(res.stdout).to.include('follow  dispatch status')

    const [record] = records(sb)
    const wt = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
    expect(record).to.include({schema_version: 2, repo: 'acme/api', mode: 'headless', ref: 'acme/api#12', forge: 'github', title: 'Fix the login bug', cwd: wt, branch: 'dispatch/issue-12-fix-the-login-bug', cascade_depth: 0, parent_session: 'parent-session-1'})
    // Dispatched from outside the repository: claims are relative to its root.
    expect(record.paths_claimed).to.deep.equal(['src/auth', 'docs'])
    expect(record.pid_start_time).to.be.a('string')
    expect(record.log_path).to.match(new RegExp(`^${sb.stateDir}/logs/acme/api/issue-12-\\d{8}-\\d{6}\\.log$`))
    for (const key of ['pid', 'url', 'started_at', 'claude_session_id']) expect(record).to.have.property(key)

    // The supervisor writes the end of the run into the record.
    const ended = await waitFor('record to end', () => records(sb).find((r) => r.ended_at))
    expect(ended).to.include({exit_code: 0, cost_usd: 0.0123, num_turns: 3})
    expect(ended.claude_session_id).to.match(/^[0-9a-f-]{36}$/)

    const [standIn] = standIns(sb)
    expect(standIn.cwd).to.equal(wt)
    // The prompt comes on stdin, never in argv.
    expect(standIn.stdin).to.include('acme/api#12').and.include('It breaks.')
    expect(standIn.argv.slice(0, 1)).to.deep.equal(['-p'])
    expect(standIn.argv.slice(1)).to.deep.equal(['--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--allowedTools', 'Bash,Read,Edit,Write,Glob,Grep,TodoWrite', '--model', 'opus', '--max-budget-usd', '2.5', '--max-turns', '9'])
    expect(standIn.env.DISPATCH_CASCADE_DEPTH).to.equal('0')
    expect(standIn.env.DISPATCH_CONFIG).to.equal(sb.configFile)
    expect(standIn.env).not.to.have.property('CLAUDE_CODE_SESSION_ID')

    // State files are the user's alone.
    expect(statSync(path.join(sb.stateDir, 'sidequests')).mode & 0o777).to.equal(0o700)
    expect(statSync(ended.log_path).mode & 0o777).to.equal(0o600)
    expect(statSync(path.join(sb.stateDir, 'sidequests', `${ended.pid}.json`)).mode & 0o777).to.equal(0o600)
    expect(statSync(path.join(sb.stateDir, 'audit.jsonl')).mode & 0o777).to.equal(0o600)

    const [audit] = auditLines(sb)
    expect(audit).to.include({command: 'headless', ref: 'acme/api#12', outcome: 'ok', exit_code: 0, pid: ended.pid})
    expect(audit.time).to.be.a('string')

    // The worktree was pre-trusted only if Claude's config exists; here it does not, and stays absent.
    expect(existsSync(path.join(sb.claudeDir, '.claude.json'))).to.equal(false)
  })

  it('prints the record with --json and pre-trusts the worktree in an existing Claude config', async () => {
    writeFileSync(path.join(sb.claudeDir, '.claude.json'), JSON.stringify({numStartups: 3, projects: {}}))
    const res = await runCli(['headless', 'acme/api#12', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out).to.include({ref: 'acme/api#12', mode: 'headless'})
    expect(out.health).to.be.oneOf(['replied', 'finished'])
    const claude = JSON.parse(readFileSync(path.join(sb.claudeDir, '.claude.json'), 'utf8'))
    expect(claude.numStartups).to.equal(3)
    expect(claude.projects[out.cwd]).to.deep.equal({hasTrustDialogAccepted: true})
  })

  it('--dry-run prints issue, cwd, branch, argv and prompt, and changes nothing', async () => {
    const res = await runCli(['headless', 'acme/api#12', '--dry-run'], {env})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.match(/Issue: +acme\/api#12 \(github, open\)/)
    expect(res.stdout).to.match(/Branch: +dispatch\/issue-12-fix-the-login-bug \(default branch main\)/)
    expect(res.stdout).to.match(/Command: .*stand-in-claude\.mjs -p --output-format stream-json .* <prompt on stdin>$/m)
    expect(res.stdout).to.include('It breaks.')
    expectNothingCreated(sb)
    expect(existsSync(sb.stateDir)).to.equal(false)
    const json = await runCli(['headless', 'acme/api#12', '--dry-run', '--json'], {env})
    expect(JSON.parse(json.stdout)).to.include({dry_run: true, ref: 'acme/api#12', worktree_action: 'create'})
  })

  it('takes an issue URL with a comment fragment or a query, as copied from the browser', async () => {
    for (const url of [`${forge.github.webUrl}/acme/api/issues/12#issuecomment-1`, `${forge.github.webUrl}/acme/api/issues/12?foo=1`]) {
      const res = await runCli(['headless', '--dry-run', '--json', url], {env, cwd: sb.dir})
      expect(res.code, res.stderr).to.equal(0)
      expect(JSON.parse(res.stdout)).to.include({ref: 'acme/api#12', branch: 'dispatch/issue-12-fix-the-login-bug'})
    }
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues/12')).to.have.length(2)
    expectNothingCreated(sb)
  })

  it('plans in the checkout the forge names, not the one typed (case, transfer)', async () => {
    // Both the typed and the real repository have checkouts, so a plan read for the typed one would look plausible.
    makeRepo(sb, 'acme', 'old', {defaultBranch: 'trunk'})
    git(path.join(sb.workspace, 'acme', 'old'), 'branch', 'dispatch/issue-5-stale')
    forge.transfer({from: {owner: 'acme', repo: 'old', number: 5}, to: {owner: 'acme', repo: 'api', number: 12}})
    const moved = await runCli(['headless', 'acme/old#5', '--dry-run', '--json'], {env})
    expect(moved.code, moved.stderr).to.equal(0)
    expect(moved.stderr).to.include('acme/old#5 now lives at acme/api#12')
    expect(JSON.parse(moved.stdout)).to.include({
      ref: 'acme/api#12',
      checkout: path.join(sb.workspace, 'acme', 'api'),
      branch: 'dispatch/issue-12-fix-the-login-bug',
      default_branch: 'main',
      worktree_action: 'create',
    })
    const cased = await runCli(['headless', 'ACME/API#12', '--dry-run', '--json'], {env})
    expect(cased.code, cased.stderr).to.equal(0)
    expect(JSON.parse(cased.stdout)).to.include({ref: 'acme/api#12', checkout: path.join(sb.workspace, 'acme', 'api')})
    expectNothingCreated(sb)
  })

  const refusals: Array<[string, string[], number, RegExp, (f: FakeForge) => void]> = [
    ['an owner outside the allow-list', ['headless', 'mallory/api#1'], 3, /"mallory" is not in allowedOwners/, () => {}],
    ['a closed issue', ['headless', 'acme/api#20'], 3, /acme\/api#20 is closed/, (f) => f.addIssue({owner: 'acme', repo: 'api', number: 20, state: 'closed'})],
    ['a pull request', ['headless', 'acme/api#21'], 3, /pull request/, (f) => f.addIssue({owner: 'acme', repo: 'api', number: 21, pull: true})],
    ['a pull-request URL', ['headless', 'https://github.com/acme/api/pull/3'], 2, /not an issue reference/, () => {}],
    ['a malformed ref', ['headless', 'acme/api#0'], 2, /Accepted forms: owner\/repo#N/, () => {}],
    ['a missing issue', ['headless', 'acme/api#404'], 4, /not found on 127\.0\.0\.1:\d+ \(404\)/, (f) => f.addMissing({owner: 'acme', repo: 'api', number: 404})],
    ['a missing checkout', ['headless', 'acme/web#1'], 4, /No checkout of acme\/web: looked in .*workspace\/acme\/web[\s\S]*Try: git clone/, (f) => f.addIssue({owner: 'acme', repo: 'web', number: 1})],
    ['a bad flag', ['headless', 'acme/api#12', '--depthh', '2'], 2, /Nonexistent flag|Unexpected argument/, () => {}],
    // A second word is a second ref (a fan-out): it must be one, checked before anything starts.
    ['a stray argument', ['headless', 'acme/api#12', 'extra'], 2, /"extra" is not an issue reference[\s\S]*Put arguments meant for claude after --/, () => {}],
    ['a bad budget', ['headless', 'acme/api#12', '--max-budget-usd', 'lots'], 2, /--max-budget-usd must be a positive number/, () => {}],
    ['no mode', ['acme/api#12'], 2, /needs a mode[\s\S]*dispatch headless acme\/api#12/, () => {}],
    ['cascade depth out of range', ['cascade', 'acme/api#12', '--depth', '9'], 2, /depth|Expected an integer less than or equal to 5/i, () => {}],
  ]
  for (const [what, args, code, pattern, setup] of refusals) {
    it(`refuses ${what} with exit ${code}, a clear message, and nothing created`, async () => {
      setup(forge)
      const res = await runCli(args, {env})
      expect(res.code, res.stderr).to.equal(code)
      expect(res.stderr).to.match(pattern)
      expect(res.stderr).not.to.match(/\n\s+at .*\.js:\d+/)
      expectNothingCreated(sb)
      const json = await runCli([...args, '--json'], {env})
      expect(json.code).to.equal(code)
      const parsed = JSON.parse(json.stdout)
      expect(parsed.error.exit_code).to.equal(code)
      expect(parsed.error.message).to.be.a('string')
    })
  }

  it('refuses a checkout whose origin points at another repository', async () => {
    git(path.join(sb.workspace, 'acme', 'api'), 'remote', 'set-url', 'origin', 'https://github.com/someone/else.git')
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code).to.equal(4)
    expect(res.stderr).to.match(/has origin https:\/\/github\.com\/someone\/else\.git, which is not acme\/api/)
    expectNothingCreated(sb)
  })

  it('fails before creating anything when the claude binary is missing', async () => {
    const res = await runCli(['headless', 'acme/api#12', '--claude-bin', path.join(sb.dir, 'no-such-claude')], {env})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/no-such-claude does not exist or is not executable/)
    expectNothingCreated(sb)
  })

  it('fails on a crash at start: exit 1, record marked crashed, tail printed', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {env: {...env, STANDIN_MODE: 'crash'}})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/failed to start: the worker exited with code 1 during start-up/)
    expect(res.stderr).to.include('stand-in: simulated crash at start')
    const [record] = records(sb)
    expect(record).to.include({crashed: true, exit_code: 1})
    expect(auditLines(sb)[0]).to.include({outcome: 'failure', exit_code: 1})
  })

  it('fails on a synthetic API error reply (400)', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {env: {...env, STANDIN_MODE: 'synthetic400'}})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/claude reported an error: API Error: 400/)
    expect(records(sb)[0]).to.include({crashed: true})
  })

  it('stops a worker that keeps retrying a 401 instead of calling it started', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {env: {...env, STANDIN_MODE: 'retry401'}})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/the model API answered 401/)
    const record = await waitFor('crashed record', () => records(sb).find((r) => r.ended_at))
    expect(record.crashed).to.equal(true)
    expect(isAlive(record.pid)).to.equal(false)
  })

  it('calls a silent but alive worker healthy when the window closes', async () => {
    // A worker that never replies: the window's length decides nothing, so a short one is safe here.
    writeConfig(sb, {github: forge.github}, {healthWindowMs: 500})
    const res = await runCli(['headless', 'acme/api#12', '--json'], {env: {...env, STANDIN_MODE: 'silent', STANDIN_HOLD_FILE: path.join(sb.dir, 'release')}})
    expect(res.code, res.stderr).to.equal(0)
    expect(JSON.parse(res.stdout).health).to.equal('window')
    expect(isAlive(records(sb)[0].pid)).to.equal(true)
  })

  describe('with an active worker', () => {
    let holdEnv: NodeJS.ProcessEnv
    beforeEach(async () => {
      holdEnv = {...env, STANDIN_HOLD_FILE: path.join(sb.dir, 'release')}
      const res = await runCli(['headless', 'acme/api#12', '--claims', path.join(sb.workspace, 'acme', 'api', 'src')], {env: holdEnv})
      expect(res.code, res.stderr).to.equal(0)
    })

    it('refuses a duplicate on the same ref, and --force overrides it', async () => {
      const dup = await runCli(['headless', 'acme/api#12'], {env: holdEnv})
      expect(dup.code).to.equal(3)
      expect(dup.stderr).to.match(/acme\/api#12 already has an active worker \(pid \d+/)
      expect(dup.stderr).to.match(/--force/)
      expect(records(sb)).to.have.length(1)
      const forced = await runCli(['headless', 'acme/api#12', '--force'], {env: holdEnv})
      expect(forced.code, forced.stderr).to.equal(0)
      expect(records(sb)).to.have.length(2)
    })

    it('--force gives a second worker its own worktree and branch (-2, then -3), leaving the first alone', async () => {
      const base = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
      const [first] = records(sb)
      expect(first.cwd).to.equal(base)
      writeFileSync(path.join(base, 'first-at-work.txt'), 'in progress')
      const headBefore = git(base, 'rev-parse', 'HEAD')

      // The dry run says where it would go, and changes nothing.
      const dry = await runCli(['headless', '--force', 'acme/api#12', '--dry-run', '--json'], {env: holdEnv})
      expect(dry.code, dry.stderr).to.equal(0)
      expect(JSON.parse(dry.stdout)).to.include({cwd: `${base}-2`, branch: 'dispatch/issue-12-fix-the-login-bug-2', worktree_action: 'create', worktree_slot: 2})
      expect(dry.stderr).to.match(new RegExp(`note: acme/api#12 already has an active worker \\(pid ${first.pid} in ${base}\\); --force starts this one in its own worktree ${base}-2 on dispatch/issue-12-fix-the-login-bug-2`))
      expect(existsSync(`${base}-2`)).to.equal(false)

      const second = await runCli(['headless', 'acme/api#12', '--force', '--json'], {env: holdEnv})
      expect(second.code, second.stderr).to.equal(0)
      expect(JSON.parse(second.stdout)).to.include({cwd: `${base}-2`, branch: 'dispatch/issue-12-fix-the-login-bug-2', worktree_slot: 2})
      expect(second.stderr).to.include(`--force starts this one in its own worktree ${base}-2 on dispatch/issue-12-fix-the-login-bug-2`)
      expect(git(`${base}-2`, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('dispatch/issue-12-fix-the-login-bug-2')
      const third = await runCli(['headless', '--force', 'acme/api#12'], {env: holdEnv, cwd: base})
      expect(third.code, third.stderr).to.equal(0)
      expect(third.stdout).to.match(new RegExp(`^cwd +${base}-3$`, 'm'))
      expect(third.stdout).to.match(/^branch +dispatch\/issue-12-fix-the-login-bug-3$/m)

      // Each stand-in ran in its own worktree; the first worker's is as it was.
      const cwds = standIns(sb).map((r) => r.cwd).sort()
      expect(cwds).to.deep.equal([base, `${base}-2`, `${base}-3`])
      expect(records(sb).map((r) => r.cwd).sort()).to.deep.equal(cwds)
      expect(git(base, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('dispatch/issue-12-fix-the-login-bug')
      expect(git(base, 'rev-parse', 'HEAD')).to.equal(headBefore)
      expect(git(base, 'status', '--porcelain')).to.equal('?? first-at-work.txt')
    })

    it('refuses overlapping claims naming the holder, and --force overrides it', async () => {
      const res = await runCli(['headless', 'acme/api#13', '--claims', path.join(sb.workspace, 'acme', 'api', 'src', 'auth')], {env: holdEnv})
      expect(res.code).to.equal(3)
      expect(res.stderr).to.match(/Claim src\/auth in acme\/api overlaps src \(ancestor\), claimed by pid \d+ working on acme\/api#12/)
      const disjoint = await runCli(['headless', 'acme/api#13', '--claims', path.join(sb.workspace, 'acme', 'api', 'srcx')], {env: holdEnv})
      expect(disjoint.code, disjoint.stderr).to.equal(0)
    })

    it('refuses beyond maxActive even with --force', async () => {
      writeConfig(sb, {github: forge.github}, {maxActive: 1})
      const res = await runCli(['headless', 'acme/api#13', '--force'], {env: holdEnv})
      expect(res.code).to.equal(3)
      expect(res.stderr).to.match(/1 workers are active; maxActive is 1/)
    })
  })

  it('--force with no active worker reuses the issue\'s own worktree', async () => {
    const first = await runCli(['headless', 'acme/api#12', '--json'], {env})
    expect(first.code, first.stderr).to.equal(0)
    const {cwd, pid} = JSON.parse(first.stdout)
    await waitFor('first worker to end', () => records(sb).find((r) => r.pid === pid && r.ended_at))
    const again = await runCli(['headless', 'acme/api#12', '--force', '--json'], {env})
    expect(again.code, again.stderr).to.equal(0)
    expect(JSON.parse(again.stdout)).to.include({cwd, branch: 'dispatch/issue-12-fix-the-login-bug', worktree_slot: 1})
    expect(again.stderr).not.to.match(/own worktree/)
    expect(readdirSync(path.join(sb.worktreeRoot, 'acme', 'api'))).to.deep.equal(['issue-12-fix-the-login-bug'])
  })

  describe('cascade', () => {
    it('starts a top-level cascade at --depth and tells the worker how to dispatch', async () => {
      const res = await runCli(['cascade', 'acme/api#12', '--depth', '2', '--json'], {env})
      expect(res.code, res.stderr).to.equal(0)
      expect(JSON.parse(res.stdout)).to.include({mode: 'cascade', cascade_depth: 2})
      const [standIn] = standIns(sb)
      expect(standIn.env.DISPATCH_CASCADE_DEPTH).to.equal('2')
      expect(standIn.stdin).to.match(/bin\/run\.js headless <owner\/repo#N>/)
    })

    it('gives a nested cascade the inherited budget minus one, and refuses below 1', async () => {
      const nested = await runCli(['cascade', 'acme/api#12', '--json'], {env: {...env, DISPATCH_CASCADE_DEPTH: '3'}})
      expect(nested.code, nested.stderr).to.equal(0)
      expect(JSON.parse(nested.stdout).cascade_depth).to.equal(2)
      const floor = await runCli(['cascade', 'acme/api#13'], {env: {...env, DISPATCH_CASCADE_DEPTH: '1'}})
      expect(floor.code).to.equal(3)
      expect(floor.stderr).to.match(/Cascade budget exhausted[\s\S]*headless leaves/)
    })

    it('refuses any dispatch from inside a headless worker, before touching the forge', async () => {
      const res = await runCli(['headless', 'acme/api#13'], {env: {...env, DISPATCH_CASCADE_DEPTH: '0'}})
      expect(res.code).to.equal(3)
      expect(res.stderr).to.match(/no cascade budget left/)
      expect(forge.requests).to.have.length(0)
    })
  })

  describe('notify', () => {
    it('runs notify.command with the event as JSON and posts to ntfy, on dispatch and on finish', async () => {
      const bodies: string[] = []
      const ntfy = http.createServer((req, res) => {
        let body = ''
        req.on('data', (d) => (body += d))
        req.on('end', () => {
          bodies.push(body)
          res.end('{}')
        })
      })
      await new Promise<void>((r) => ntfy.listen(0, '127.0.0.1', () => r()))
      try {
        const events = path.join(sb.dir, 'events.jsonl')
        writeConfig(sb, {github: forge.github}, {notify: {command: `cat >> ${events}`, ntfy: `http://127.0.0.1:${(ntfy.address() as {port: number}).port}/topic`}})
        const res = await runCli(['headless', 'acme/api#12'], {env})
        expect(res.code, res.stderr).to.equal(0)
        const lines = await waitFor('two notify events', () => {
          const l = existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n') : []
          return l.length >= 2 ? l.map((x) => JSON.parse(x)) : undefined
        })
        expect(lines.map((e) => e.event).sort()).to.deep.equal(['dispatched', 'finished'])
        const finished = lines.find((e) => e.event === 'finished')
        expect(finished).to.include({mode: 'headless', ref: 'acme/api#12', exit_code: 0})
        await waitFor('two ntfy posts', () => bodies.length >= 2)
        expect(bodies.some((b) => /acme\/api#12 finished with exit code 0/.test(b))).to.equal(true)
      } finally {
        await new Promise<void>((r) => ntfy.close(() => r()))
      }
    })

    it('gives notify.command the event as DISPATCH_* variables, byte for byte, and runs nothing from the title', async () => {
      const pwned = path.join(sb.dir, 'pwned')
      const title = `$(touch ${pwned}) \`touch ${pwned}\` "double" 'single' \\ $HOME`
      forge.addIssue({owner: 'acme', repo: 'api', number: 40, title, body: 'b'})
      const out = path.join(sb.dir, 'titles')
      writeConfig(sb, {github: forge.github}, {notify: {command: `printf '%s|%s\\n' "$DISPATCH_EVENT" "$DISPATCH_TITLE" >> ${out}`}})
      const res = await runCli(['headless', 'acme/api#40'], {env})
      expect(res.code, res.stderr).to.equal(0)
      const lines = await waitFor('two notify events', () => (existsSync(out) && readFileSync(out, 'utf8').split('\n').length >= 3 ? readFileSync(out, 'utf8') : undefined))
      expect(lines.split('\n').filter(Boolean).sort()).to.deep.equal([`dispatched|${title}`, `finished|${title}`])
      expect(existsSync(pwned)).to.equal(false)
    })

    it('refuses a placeholder in notify.command when the config loads: it would splice the title into shell text', async () => {
      writeConfig(sb, {github: forge.github}, {notify: {command: 'notify-send "{title}"'}})
      const res = await runCli(['headless', 'acme/api#12'], {env})
      expect(res.code).to.equal(2)
      expect(res.stderr).to.include(sb.configFile).and.include('notify.command').and.include('"$DISPATCH_TITLE"')
      expect(records(sb)).to.have.length(0)
    })

    it('never fails the dispatch when a notifier fails or hangs', async () => {
      writeConfig(sb, {github: forge.github}, {notify: {command: 'sleep 30', timeoutMs: 500, ntfy: 'http://127.0.0.1:9/nothing-listens'}})
      const res = await runCli(['headless', 'acme/api#12'], {env})
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/notify\.command failed: timed out/)
      expect(res.stderr).to.match(/notify\.ntfy .* failed/)
    })
  })

  it('keeps tokens out of every file it writes and everything it prints', async () => {
    writeConfig(sb, {github: forge.github}, {notify: {command: `cat >> ${path.join(sb.stateDir, 'notify.jsonl')}`}})
    const outputs: string[] = []
    // A token pasted into an argument of a refused command must not reach the audit trail either.
    for (const args of [['headless', 'acme/api#12'], ['headless', 'acme/api#13', '--dry-run'], ['headless', 'mallory/x#1', '--model', 'ghp_SECRETTOKEN0123456789']]) {
      const res = await runCli(args, {env})
      outputs.push(res.stdout, res.stderr)
    }
    await waitFor('worker end', () => records(sb).find((r) => r.ended_at))
    const walk = (dir: string): string[] =>
      existsSync(dir) ? readdirSync(dir, {withFileTypes: true}).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)])) : []
    const files = [...walk(sb.stateDir), ...walk(sb.worktreeRoot).filter((f) => !f.includes('/.git/'))]
    expect(files.length).to.be.greaterThan(3)
    for (const file of files) expect(readFileSync(file, 'utf8'), file).not.to.include('ghp_SECRETTOKEN0123456789')
    for (const out of outputs.slice(0, 4)) expect(out).not.to.include('ghp_SECRETTOKEN0123456789')
    expect(readFileSync(path.join(sb.stateDir, 'audit.jsonl'), 'utf8')).to.include('[REDACTED]')
  })

  it('refuses a world-writable state dir before starting anything', async () => {
    mkdirSync(sb.stateDir, {recursive: true})
    chmodSync(sb.stateDir, 0o777)
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code).to.equal(3)
    expect(res.stderr).to.match(/writable by other users \(mode 777\)[\s\S]*chmod 700/)
    expect(standIns(sb)).to.have.length(0)
  })

  it('fails before starting a worker when the state dir cannot be written, naming the path', async function () {
    if (process.getuid?.() === 0) {
      // root ignores file modes; a state dir under a regular file is unwritable for everyone.
      writeFileSync(path.join(sb.dir, 'blocker'), '')
      writeConfig(sb, {github: forge.github}, {stateDir: path.join(sb.dir, 'blocker', 'state')})
    } else {
      mkdirSync(sb.stateDir, {recursive: true, mode: 0o500})
    }
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/state directory .*(blocker|state)/)
    expect(standIns(sb)).to.have.length(0)
  })
})
