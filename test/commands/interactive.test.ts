import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {load as parseYaml} from 'js-yaml'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, git, makeRepo, runCli, startCli, waitFor, writeConfig} from '../support/helpers.js'
import * as state from '../support/state.js'

const HOSTILE_TITLES = [
  `It's "quoted" $HOME \`whoami\` $(id)`,
  'Line one\nline two\r\nthree',
  'Ünïcödé — 日本語 ✓',
  "back\\slash and 'single' and \\'mixed\\'",
]

describe('dispatch interactive (through the binary, real tmux)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true})
  let {forge, sb, env, release} = t

  const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'}).trim()
  const standIns = () => state.standIns(sb)
  const records = () => state.records(sb)
  const dryPrompt = async (ref: string) => JSON.parse((await runCli(['interactive', ref, '--dry-run', '--json'], {env})).stdout).prompt as string

  /** Paste a print line into a shell, as an operator would. */
  const paste = (line: string) => {
    const child = spawn('/bin/sh', ['-c', line], {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    return {done: new Promise<{code: number | null; stderr: string}>((resolve) => child.on('exit', (code) => resolve({code, stderr})))}
  }

  beforeEach(() => {
    ;({forge, sb, env, release} = t)
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'Body with `ticks` and $VARS'})
    HOSTILE_TITLES.forEach((title, i) => forge.addIssue({owner: 'acme', repo: 'api', number: 100 + i, title, body: title}))
  })

  it('auto without a terminal prints the line to paste; it holds the place until pasted, and the line works', async () => {
    const res = await runCli(['interactive', 'acme/api#12', '--claims', 'src'], {env, cwd: path.join(sb.workspace, 'acme', 'api')})
    expect(res.code, res.stderr).to.equal(0)
    // The line runs dispatch's session runner on a 0600 handoff (the prompt stays out of argv), so the pasted session gets a record.
    const line = /^cd \/\S+issue-12-fix-the-login-bug && \S+node\S* \S+runner\.js (\/\S+\/state\/sessions\/print-[0-9a-f-]{36}\.json)$/m.exec(res.stdout)
    expect(line, res.stdout).to.not.equal(null)
    expect(statSync(line![1]).mode & 0o777).to.equal(0o600)
    expect(readFileSync(line![1], 'utf8')).not.to.include('GH_TOKEN')
    expect(res.stdout).not.to.include('Body with')
    expect(res.stderr).to.match(/Paste it by \S+: until then it holds acme\/api#12's place/)

    // Until it is pasted, it holds the issue, its claims and its slot.
    const [held] = records()
    expect(held).to.include({pid: 0, mode: 'interactive', ref: 'acme/api#12', worker_index: 0, port: 3100})
    expect(Date.parse(held.print_expires_at) - Date.now()).to.be.within(50 * 60_000, 61 * 60_000)
    const list = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env})).stdout)
    expect(list.map((r: {ref: string}) => r.ref)).to.deep.equal(['acme/api#12'])
    expect((await runCli(['status'], {env})).stdout).to.match(/^WAITING \(print line not pasted yet\)\t-\tacme\/api#12/m)
    expect((await runCli(['sidequests', 'conflicts', 'src/a.ts'], {env, cwd: path.join(sb.workspace, 'acme', 'api')})).code).to.equal(1)
    expect((await runCli(['interactive', 'acme/api#12', '--surface', 'print'], {env})).code).to.equal(3)
    // Another worker of the repository gets the next index: the print line's is taken.
    const other = await runCli(['headless', 'acme/api#100', '--json'], {env})
    expect(other.code, other.stderr).to.equal(0)
    expect(JSON.parse(other.stdout)).to.include({worker_index: 1, port: 3110})

    // Paste it into a shell: claude gets the prompt byte for byte, and the record is an ordinary interactive one.
    const pasted = paste(res.stdout)
    const standIn = await waitFor('the pasted session', () => standIns().find((s) => s.argv[0] === '--permission-mode' && s.stdin?.includes('Fix the login bug')))
    const live = await waitFor('its record', () => records().find((r) => r.pid === standIn.pid))
    expect(live).to.include({mode: 'interactive', ref: 'acme/api#12', worker_index: 0})
    expect(live).not.to.have.property('print_expires_at')
    await waitFor('the placeholder to go', () => !records().some((r) => r.pid === 0))
    expect(standIn.stdin).to.equal(await dryPrompt('acme/api#12'))
    expect(standIn.env).to.include({DISPATCH_WORKER_INDEX: '0', DISPATCH_PORT: '3100'})
    writeFileSync(release, '')
    expect((await pasted.done).code).to.equal(0)
  })

  it('stop ends a print line\'s hold and the line no longer starts anything; an expired one holds nothing', async () => {
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'print', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    const stop = await runCli(['stop', 'acme/api#12', '--json'], {env})
    expect(stop.code, stop.stderr).to.equal(0)
    expect(JSON.parse(stop.stdout)[0]).to.include({pid: 0, outcome: 'cancelled'})
    expect(records()[0]).to.include({stopped: true})
    expect((await runCli(['sidequests', 'list', '--json'], {env})).stdout.trim()).to.equal('[]')
    const pasted = await paste(out.surface.command).done
    expect(pasted.code).to.equal(1)
    expect(pasted.stderr).to.include('this print line was stopped, has expired or was already used; run dispatch interactive again')
    expect(standIns()).to.have.length(0)

    // An hour later (here: a placeholder whose time has passed) the issue is free again.
    const again = JSON.parse((await runCli(['interactive', 'acme/api#12', '--surface', 'print', '--json'], {env})).stdout)
    const file = path.join(sb.stateDir, 'sidequests', readdirSync(path.join(sb.stateDir, 'sidequests')).find((f) => f.startsWith('print-') && !records().find((r) => r.stopped && f.includes(r.launch_id)))!)
    writeFileSync(file, JSON.stringify({...JSON.parse(readFileSync(file, 'utf8')), print_expires_at: '2020-01-01T00:00:00.000Z'}))
    expect((await runCli(['sidequests', 'list', '--json'], {env})).stdout.trim()).to.equal('[]')
    expect((await runCli(['status', '--all'], {env})).stdout).to.match(/^EXPIRED \(print line never pasted\)/m)
    expect(again.surface.expires_at).to.be.a('string')
  })

  it('--force next to an active worker opens the session in a worktree of its own', async () => {
    const base = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
    const held = await runCli(['headless', 'acme/api#12'], {env})
    expect(held.code, held.stderr).to.equal(0)
    const res = await runCli(['interactive', 'acme/api#12', '--force', '--surface', 'print', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.include(`--force starts this one in its own worktree ${base}-2 on dispatch/issue-12-fix-the-login-bug-2`)
    const out = JSON.parse(res.stdout)
    expect(out.worktree_slot).to.equal(2)
    expect(out.surface.command).to.match(new RegExp(`^cd ${base}-2 && `))
    expect(git(`${base}-2`, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('dispatch/issue-12-fix-the-login-bug-2')
  })

  it('--dry-run names the surface and changes nothing', async () => {
    const res = await runCli(['interactive', 'acme/api#12', '--dry-run', '--surface', 'tmux', '--posture', 'consult'], {env})
    expect(res.code).to.equal(0)
    expect(res.stdout).to.match(/^Surface: +tmux$/m)
    expect(res.stdout).to.match(/stop, lay out the options/)
    expect(existsSync(sb.worktreeRoot)).to.equal(false)
    expect(existsSync(sb.stateDir)).to.equal(false)
  })

  it('tmux outside tmux: a detached session named after the issue, in the worktree, with the exact prompt', async () => {
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'tmux', '--claims', 'src', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out.surface).to.include({surface: 'tmux', launched: true, attach: 'tmux attach -t dispatch-acme-api-12'})
    const worktree = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
    const panes = tmux('list-panes', '-a', '-F', '#{session_name}|#{window_name}|#{pane_current_path}|#{pane_title}')
    expect(panes).to.equal(`dispatch-acme-api-12|acme/api#12|${worktree}|acme/api#12: Fix the login bug`)
    const [standIn] = await waitFor('stand-in to start', () => standIns().length > 0 && standIns())
    expect(standIn.cwd).to.equal(worktree)
    expect(standIn.argv).to.deep.equal(['--permission-mode', 'acceptEdits', '--allowedTools', 'Bash,Read,Edit,Write,Glob,Grep,TodoWrite'])
    expect(standIn.stdin).to.equal(await dryPrompt('acme/api#12'))
    expect(standIn.env).not.to.have.property('DISPATCH_CASCADE_DEPTH')

    // The session has a record while it runs; conflicts see its claims.
    expect(out.record).to.include({mode: 'interactive', ref: 'acme/api#12', pid: standIn.pid, cwd: worktree})
    const conflicts = await runCli(['sidequests', 'conflicts', 'src/x.ts', '--json'], {env, cwd: sb.dir})
    expect(conflicts.code).to.equal(1)
    expect(JSON.parse(conflicts.stdout)[0]).to.include({pid: standIn.pid, reason: 'ancestor'})
    const dup = await runCli(['interactive', 'acme/api#12', '--surface', 'tmux'], {env})
    expect(dup.code).to.equal(3)

    // ...and shows as ended afterwards.
    writeFileSync(release, '')
    const ended = await waitFor('record to end', () => records().find((r) => r.ended_at))
    expect(ended).to.include({exit_code: 0, pid: standIn.pid})
    expect((await runCli(['sidequests', 'list', '--json'], {env})).stdout.trim()).to.equal('[]')
  })

  it('tmux inside tmux (auto): a new window in the current session', async () => {
    tmux('new-session', '-d', '-s', 'host', '-x', '200', '-y', '50')
    const done = path.join(sb.dir, 'done')
    tmux('send-keys', '-t', 'host', `${process.execPath} ${BIN} interactive acme/api#12 > ${sb.dir}/out.txt 2>&1; echo $? > ${done}`, 'Enter')
    await waitFor('dispatch inside tmux to finish', () => existsSync(done) && readFileSync(done, 'utf8').trim() !== '' && readFileSync(done, 'utf8'))
    expect(readFileSync(done, 'utf8').trim(), readFileSync(path.join(sb.dir, 'out.txt'), 'utf8')).to.equal('0')
    const windows = tmux('list-windows', '-t', 'host', '-F', '#{window_name}|#{pane_current_path}')
    expect(windows.split('\n')).to.have.length(2)
    expect(windows.split('\n')[1]).to.equal(`acme/api#12|${path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')}`)
    await waitFor('stand-in to start', () => standIns().length === 1)
  })

  it('foreground on a real terminal: claude gets the terminal and dispatch exits with its code', async () => {
    tmux('new-session', '-d', '-s', 'fg', '-x', '200', '-y', '50')
    const done = path.join(sb.dir, 'done')
    tmux('send-keys', '-t', 'fg', `STANDIN_EXIT=5 ${process.execPath} ${BIN} interactive acme/api#12 --surface foreground; echo "code=$?" > ${done}`, 'Enter')
    await waitFor('the session to show the prompt', () => tmux('capture-pane', '-p', '-t', 'fg').includes('stand-in interactive session'))
    const [standIn] = standIns()
    expect(records().find((r) => r.pid === standIn.pid)).to.include({mode: 'interactive'})
    writeFileSync(release, '')
    await waitFor('dispatch to exit', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='))
    expect(readFileSync(done, 'utf8').trim()).to.equal('code=5')
    expect(records()[0]).to.include({exit_code: 5})
    // The audit line carries the code dispatch exited with, not 0.
    const audit = readFileSync(path.join(sb.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(audit.at(-1)).to.include({command: 'interactive', exit_code: 5, outcome: 'exited'})
  })

  it('foreground: two dispatches of one ref at once start one session, and it is announced as dispatched', async () => {
    const events = path.join(sb.dir, 'events.jsonl')
    writeConfig(sb, {github: forge.github}, {notify: {command: `cat >> ${events}`}})
    const argv = ['interactive', 'acme/api#12', '--surface', 'foreground']
    const runs = [startCli(argv, {env}), startCli(argv, {env})]
    const ended: Array<{code: number | null; out: string}> = []
    for (const r of runs) void r.done.then((res) => ended.push({code: res.code, out: res.stdout + res.stderr}))
    // The record is written before the lock is released, so the second one is refused while the first runs.
    const [refused] = await waitFor('one dispatch to be refused', () => ended.length > 0 && ended)
    expect(refused.code, refused.out).to.equal(3)
    expect(refused.out).to.match(/already has an active worker/)
    const event = await waitFor('the dispatched event', () => existsSync(events) && readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'dispatched'))
    expect(event).to.include({mode: 'interactive', ref: 'acme/api#12'})
    expect(standIns()).to.have.length(1)
    expect(event.pid).to.equal(standIns()[0].pid)
    writeFileSync(release, '')
    await Promise.all(runs.map((r) => r.done))
    expect(ended.map((e) => e.code).sort()).to.deep.equal([0, 3])
  })

  it('command: runs the configured launcher with {cwd} {title} {ref} {argv} as separate arguments', async () => {
    const argsFile = path.join(sb.dir, 'launcher-args.txt')
    const script = `printf "%s\\n" "$2" "$3" "$4" > "$1"; shift 4; "$@" >/dev/null 2>&1 &`
    writeConfig(sb, {github: forge.github}, {interactive: {command: `sh -c '${script}' sh ${argsFile} {cwd} {title} {ref} {argv}`}})
    const res = await runCli(['interactive', 'acme/api#100', '--surface', 'command', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const lines = readFileSync(argsFile, 'utf8')
    expect(lines).to.include(`acme/api#100: ${HOSTILE_TITLES[0]}\nacme/api#100\n`)
    const [standIn] = await waitFor('stand-in', () => standIns().length > 0 && standIns())
    expect(standIn.stdin).to.equal(await dryPrompt('acme/api#100'))
    expect(JSON.parse(res.stdout).record.pid).to.equal(standIn.pid)
  })

  const PWNED = '/tmp/pwned-xyz'
  // Short enough that the session title (at most 80 characters) carries it whole.
  const NASTY = `$(touch ${PWNED}) \`touch ${PWNED}\` "d" 's' \\ $HOME`

  it('command: a title full of shell syntax reaches the launcher byte for byte, as an argument and as DISPATCH_TITLE, and runs nothing', async () => {
    rmSync(PWNED, {force: true})
    forge.addIssue({owner: 'acme', repo: 'api', number: 130, title: NASTY, body: 'b'})
    const argsFile = path.join(sb.dir, 'launcher-args.bin')
    const envFile = path.join(sb.dir, 'launcher-env.bin')
    const script = `printf "%s" "$2" > "$1"; printf "%s" "$DISPATCH_TITLE" > "$0"; shift 2; "$@" >/dev/null 2>&1 &`
    writeConfig(sb, {github: forge.github}, {interactive: {command: `sh -c '${script}' ${envFile} ${argsFile} --title={title} {argv}`}})
    const res = await runCli(['interactive', 'acme/api#130', '--surface', 'command', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    expect(readFileSync(argsFile, 'utf8')).to.equal(`--title=acme/api#130: ${NASTY}`)
    expect(readFileSync(envFile, 'utf8')).to.equal(`acme/api#130: ${NASTY}`)
    await waitFor('stand-in', () => standIns().length > 0)
    expect(existsSync(PWNED), 'something ran the title').to.equal(false)
  })

  for (const command of [`wezterm cli spawn --title "{title}" -- {argv}`, `sh -c 'notify {title}'`, `term --cwd {cwd} -- {argv} | tee log`]) {
    it(`command: refuses the template ${command} when the config loads, saying why and showing the safe form`, async () => {
      rmSync(PWNED, {force: true})
      forge.addIssue({owner: 'acme', repo: 'api', number: 130, title: NASTY, body: 'b'})
      writeConfig(sb, {github: forge.github}, {interactive: {command}})
      const res = await runCli(['interactive', 'acme/api#130', '--surface', 'command'], {env})
      expect(res.code, res.stderr).to.equal(2)
      expect(res.stderr).to.include(sb.configFile).and.include('interactive.command')
      expect(res.stderr).to.match(/inside (double|single) quotes|shell syntax "\|"/)
      expect(res.stderr).to.include('wezterm cli spawn --cwd {cwd} -- {argv}')
      expect(existsSync(PWNED)).to.equal(false)
      expect(records()).to.have.length(0)
    })
  }

  it('a launcher that fails falls back to print, says why, leaves nothing running, and exits 1 (asked for by name)', async () => {
    writeConfig(sb, {github: forge.github}, {interactive: {command: `sh -c 'echo "no terminal here" >&2; exit 7'`}})
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'command'], {env})
    expect(res.code, res.stderr).to.equal(1)
    expect(res.stderr).to.match(/Could not open the session on command \(command: no terminal here\); nothing is running\.\nStart it yourself with the line printed above/)
    // The line to start it by hand holds the issue's place as any print line does (no process runs yet).
    expect(res.stdout).to.match(/^cd .* && \S+ \S+runner\.js \S+\/sessions\/print-[0-9a-f-]{36}\.json$/m)
    expect(records().map((r) => r.pid)).to.deep.equal([0])
    expect(readdirSync(path.join(sb.stateDir, 'sessions'))).to.have.length(1)
    // A surface named in the config is asked for by name too; --json carries the line in the error.
    writeConfig(sb, {github: forge.github}, {interactive: {surface: 'command', command: 'exit 7'}})
    const json = await runCli(['interactive', '--json', 'acme/api#100'], {env})
    expect(json.code, json.stderr).to.equal(1)
    const {error} = JSON.parse(json.stdout)
    expect(error).to.include({code: 'failure', exit_code: 1})
    expect(error.suggestion).to.match(/^Start it yourself: cd .* && \S+ \S+runner\.js /)
    const audit = readFileSync(path.join(sb.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(audit.map((a) => a.exit_code)).to.deep.equal([1, 1])
  })

  it('--surface tmux that cannot reach tmux exits 1; auto falling back the same way exits 0', async () => {
    // TMUX names a server socket that does not exist: tmux fails the way a dead server does.
    const broken = {...env, TMUX: path.join(sb.dir, 'no-such-socket') + ',1,0'}
    const named = await runCli(['interactive', 'acme/api#12', '--surface=tmux'], {env: broken})
    expect(named.code, named.stderr).to.equal(1)
    expect(named.stderr).to.match(/Could not open the session on tmux \(tmux: .+\); nothing is running/)
    expect(named.stdout).to.match(/^cd .* && \S+ \S+runner\.js \S+\/sessions\/print-[0-9a-f-]{36}\.json$/m)
    // The printed line holds acme/api#12; the next try is another issue.
    const auto = await runCli(['interactive', 'acme/api#100'], {env: broken})
    expect(auto.code, auto.stderr).to.equal(0)
    expect(auto.stderr).to.match(/warning: could not open the session \(tmux: .+\); nothing is running/)
    expect(auto.stdout).to.match(/^cd .* && \S+ \S+runner\.js \S+\/sessions\/print-[0-9a-f-]{36}\.json$/m)
    expect(records().map((r) => r.pid)).to.deep.equal([0, 0])
  })

  it('warp: writes a launch configuration and opens it with the platform opener', async () => {
    const binDir = path.join(sb.dir, 'bin')
    mkdirSync(binDir)
    const opened = path.join(sb.dir, 'opened.txt')
    writeFileSync(path.join(binDir, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${opened}\n`)
    chmodSync(path.join(binDir, 'xdg-open'), 0o755)
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'warp', '--json'], {env: {...env, PATH: `${binDir}:${env.PATH}`}})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout).surface
    expect(out.launch_config).to.equal(path.join(sb.dir, 'xdg-data', 'warp-terminal', 'launch_configurations', 'dispatch-acme-api-12.yaml'))
    expect(readFileSync(opened, 'utf8').trim()).to.equal('warp://launch/dispatch-acme-api-12.yaml')
    const yaml = parseYaml(readFileSync(out.launch_config, 'utf8')) as {windows: Array<{tabs: Array<{title: string; layout: {cwd: string; commands: Array<{exec: string}>}}>}>}
    const tab = yaml.windows[0].tabs[0]
    expect(tab.title).to.equal('acme/api#12: Fix the login bug')
    expect(tab.layout.cwd).to.equal(path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug'))
    expect(tab.layout.commands[0].exec).to.match(/runner\.js '?\/.*sessions\/[0-9a-f-]+\.json'?$/)
    expect(out.launched).to.equal(true)
  })

  it('warp without an opener falls back to print', async () => {
    // An opener that fails the way a missing Warp does.
    const binDir = path.join(sb.dir, 'bin')
    mkdirSync(binDir)
    writeFileSync(path.join(binDir, 'xdg-open'), '#!/bin/sh\necho "no handler for warp://" >&2\nexit 4\n')
    chmodSync(path.join(binDir, 'xdg-open'), 0o755)
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'warp'], {env: {...env, PATH: `${binDir}:${env.PATH}`}})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/Could not open the session on warp \(warp: no handler for warp:\/\/\)/)
    expect(res.stdout).to.match(/^cd /)
  })

  it('trims the session title: one line, no surrounding whitespace, bounded length', async () => {
    const messy = `  \t Fix the\r\n  login   bug ${'and more words '.repeat(30)}\n`
    forge.addIssue({owner: 'acme', repo: 'api', number: 30, title: messy})
    const argsFile = path.join(sb.dir, 'launcher-title.txt')
    writeConfig(sb, {github: forge.github}, {interactive: {command: `sh -c 'printf "%s\\n" "$1" > "$0"; shift; ( "$@" ) >/dev/null 2>&1 &' ${argsFile} {title} {argv}`}})
    const viaCommand = await runCli(['interactive', 'acme/api#30', '--surface', 'command'], {env})
    expect(viaCommand.code, viaCommand.stderr).to.equal(0)
    const title = readFileSync(argsFile, 'utf8').replace(/\n$/, '')
    expect(title).to.match(/^acme\/api#30: Fix the login bug and more words and more words .*…$/)
    expect([...title]).to.have.length(80)
    await waitFor('the first session', () => records().length === 1)
    writeFileSync(release, '')
    await waitFor('the first session to end', () => records().every((r) => r.ended_at))
    rmSync(release)

    const viaTmux = await runCli(['interactive', 'acme/api#30', '--surface', 'tmux'], {env})
    expect(viaTmux.code, viaTmux.stderr).to.equal(0)
    expect(tmux('list-panes', '-a', '-F', '#{window_name}|#{pane_title}')).to.equal(`acme/api#30|${title}`)
  })

  for (const [i, title] of HOSTILE_TITLES.entries()) {
    it(`keeps a hostile title intact through tmux: ${JSON.stringify(title).slice(0, 40)}`, async () => {
      const res = await runCli(['interactive', `acme/api#${100 + i}`, '--surface', 'tmux'], {env})
      expect(res.code, res.stderr).to.equal(0)
      const [standIn] = await waitFor('stand-in', () => standIns().length > 0 && standIns())
      expect(standIn.stdin).to.equal(await dryPrompt(`acme/api#${100 + i}`))
      expect(standIn.stdin).to.include(`title: ${JSON.stringify(title)}`)
      // The terminal title is inert: one line, no control characters.
      expect(tmux('list-panes', '-a', '-F', '#{pane_title}')).not.to.match(/[\n\r\u001b]/)
    })
  }
})
