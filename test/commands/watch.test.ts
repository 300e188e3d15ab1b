// dispatch watch (issue #22) through the real binary: slots, the one-watch
// lock, signals, restart safety and bad input, with the loopback forge, real
// git repositories and stand-in claudes that stay alive until released.
import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {isAlive, runCli, startCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'
import {eventsOf, of, pass} from '../support/watch.js'

describe('dispatch watch: slots, the lock and restarts (through the binary)', function () {
  this.timeout(240_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], exitWaitMs: 15_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => {
    ;({forge, sb, env} = t)
    writeConfig(sb, {github: forge.github}, {watch: {sources: [{repo: 'acme/api', label: 'go'}], maxActive: 2}})
    for (let n = 1; n <= 4; n++) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`, labels: ['go']})
    // Not watch's: another label, and a pull request with the label.
    forge.addIssue({owner: 'acme', repo: 'api', number: 5, labels: ['later']})
    forge.addIssue({owner: 'acme', repo: 'api', number: 6, labels: ['go'], pull: true})
  })

  const live = () => records(sb).filter((r) => !r.ended_at && isAlive(r.pid))

  it('a pass starts up to watch.maxActive, oldest first, and the rest wait; a second pass starts no duplicate', async () => {
    const first = await pass(env)
    expect(of(first, 'started').map((e) => e.ref)).to.deep.equal(['acme/api#1', 'acme/api#2'])
    expect(of(first, 'waiting').map((e) => [e.ref, e.reason])).to.deep.equal([['acme/api#3', 'slots'], ['acme/api#4', 'slots']])
    expect(of(first, 'pass')[0]).to.include({listed: 4, running: 2, waiting: 2, started: 2})
    for (const e of first) expect(e.ts).to.match(/^\d{4}-\d\d-\d\dT/)
    const rs = records(sb)
    expect(rs.map((r) => [r.ref, r.watched, r.attempt, r.round, r.continues, r.continuation]).sort()).to.deep.equal([
      ['acme/api#1', true, 1, 0, null, null],
      ['acme/api#2', true, 1, 0, null, null],
    ])
    // A first run gets the issue's prompt, not a resume.
    for (const s of standIns(sb)) expect(s.argv).not.to.include('--resume')

    const second = await pass(env)
    expect(of(second, 'started')).to.deep.equal([])
    // Nothing changed for the waiting ones: a pass says only what changed, and this is a new process, so it says it again.
    expect(of(second, 'waiting').map((e) => e.ref)).to.deep.equal(['acme/api#3', 'acme/api#4'])
    expect(live().map((r) => r.ref).sort()).to.deep.equal(['acme/api#1', 'acme/api#2'])
    expect(records(sb)).to.have.length(2)

    // --max-active on the command line lifts the config's: the next oldest starts.
    const third = await pass(env, ['--max-active=3'])
    expect(of(third, 'started').map((e) => e.ref)).to.deep.equal(['acme/api#3'])
  })

  it('one watch per state directory: a second is refused (exit 3, naming the holder); SIGTERM stops the loop, never the workers', async () => {
    const loop = startCli(['watch', '--interval', '1h', '--json'], {env})
    t.pids.add(loop.pid)
    await loop.waitFor('the first pass', () => loop.stdout().includes('"event":"pass"'))
    const lock = JSON.parse(readFileSync(path.join(sb.stateDir, 'watch.lock'), 'utf8'))
    expect(lock.pid).to.equal(loop.pid)

    const second = await runCli(['watch', '--once'], {env})
    expect(second.code, second.stderr).to.equal(3)
    expect(second.stderr).to.include(`Another dispatch watch (pid ${loop.pid}`).and.include(sb.stateDir)
    const json = await runCli(['watch', '--once', '--json'], {env})
    expect(json.code).to.equal(3)
    expect(JSON.parse(json.stdout).error).to.include({code: 'refused', exit_code: 3})

    const workers = live()
    expect(workers).to.have.length(2)
    process.kill(loop.pid, 'SIGTERM')
    const done = await loop.done
    expect(done.code).to.equal(143)
    const last = eventsOf(done).at(-1)!
    expect(last).to.include({ref: null, event: 'stopped', reason: 'SIGTERM', passes: 1})
    expect(last.message).to.match(/dispatch watch stopped \(SIGTERM\) after 1 pass; the workers it started keep running/)
    for (const w of workers) expect(isAlive(w.pid), `worker ${w.ref}`).to.equal(true)
    expect(existsSync(path.join(sb.stateDir, 'watch.lock'))).to.equal(false)
  })

  it('kill -9 of a running watch, then a restart: the stale lock is taken over and nothing is started twice', async () => {
    const loop = startCli(['watch', '--interval', '1h', '--json'], {env})
    t.pids.add(loop.pid)
    await loop.waitFor('the first pass', () => loop.stdout().includes('"event":"pass"'))
    process.kill(loop.pid, 'SIGKILL')
    await loop.done
    expect(existsSync(path.join(sb.stateDir, 'watch.lock'))).to.equal(true)
    const after = await pass(env)
    expect(of(after, 'started')).to.deep.equal([])
    expect(records(sb).map((r) => r.ref).sort()).to.deep.equal(['acme/api#1', 'acme/api#2'])
    expect(existsSync(path.join(sb.stateDir, 'watch.lock'))).to.equal(false)
  })

  it('bad input is refused with the fix and starts nothing', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--repo', 'acme/api'], 2, /--repo needs --label/],
      [['--label', 'go'], 2, /--label needs --repo/],
      [['--repo', 'acme/api', '--label', 'go', '--interval', 'soon'], 2, /--interval must be a duration/],
      [['--repo', 'outsider/api', '--label', 'go'], 3, /"outsider" is not in allowedOwners \(watched repository outsider\/api\)/],
      [['--repo', 'acme', '--label', 'go'], 2, /--repo must be owner\/repo/],
      [['--max-active', '0'], 2, /max-active/],
    ]
    for (const [args, code, message] of cases) {
      const res = await runCli(['watch', '--once', ...args], {env})
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(code)
      expect(res.stderr, args.join(' ')).to.match(message)
      expect(res.stderr).not.to.match(/\n\s+at /)
    }
    writeConfig(sb, {github: forge.github})
    const none = await runCli(['watch', '--once'], {env})
    expect(none.code).to.equal(2)
    expect(none.stderr).to.match(/Nothing to watch: no --repo\/--label and no watch.sources/)
    expect(records(sb)).to.deep.equal([])
    expect(standIns(sb)).to.deep.equal([])
    // The forge was never asked: the issues are added but nobody listed them.
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues')).to.deep.equal([])
  })

  it('--repo/--label on the command line, from an unrelated directory, piped without --json: one line per transition and the tally', async () => {
    writeConfig(sb, {github: forge.github}, {watch: {maxActive: 1}})
    const res = await runCli(['watch', '--repo=acme/api', '--once', '--label', 'go'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.include('acme/api#1: started (pid ').and.include('acme/api#2: waiting (slots)')
    expect(res.stdout.trim().split('\n').at(-1)).to.equal('4 listed · 1 running · 3 waiting · 0 given up · 0 done')
    expect(() => eventsOf(res)).to.throw()
    await waitFor('the worker record', () => records(sb).length === 1)
  })
})
