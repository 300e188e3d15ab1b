// dispatch watch (issue #22) as a loop that keeps running, through the real
// binary: what one watch remembers between its passes (each transition said
// once, a waiting pull request not asked about every pass, the forge's rate
// limit respected), and what a watch killed with -9 leaves to the next one.
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {git, startCli, waitFor, writeConfig, type Sandbox, type StartedCli} from '../support/helpers.js'
import {records} from '../support/state.js'
import {of, pass, passUntil, worktrees, type WatchEvent} from '../support/watch.js'

const linesOf = (cli: StartedCli): WatchEvent[] =>
  cli
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as WatchEvent)

describe('dispatch watch: one loop across passes, and after kill -9 (through the binary)', function () {
  this.timeout(300_000)
  const t = useForgeSandbox({repos: ['acme/api'], exitWaitMs: 15_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  let checkout: string
  const runsOf = (ref: string) => records(sb).filter((r) => r.ref === ref).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
  /** A watch passing every second until the test stops it. */
  const loop = (args: string[] = []) => {
    const cli = startCli(['watch', '--json', '--interval', '1', ...args], {env})
    t.pids.add(cli.pid)
    return cli
  }
  const passes = (cli: StartedCli) => of(linesOf(cli), 'pass').length
  const morePasses = (cli: StartedCli, n: number) => {
    const target = passes(cli) + n
    return cli.waitFor(`${n} more passes`, () => passes(cli) >= target, 120_000)
  }
  const stop = async (cli: StartedCli) => {
    process.kill(cli.pid, 'SIGTERM')
    expect((await cli.done).code).to.equal(143)
  }

  beforeEach(() => {
    ;({forge, sb, env} = t)
    checkout = t.checkouts['acme/api']
    writeConfig(sb, {github: forge.github}, {watch: {sources: [{repo: 'acme/api', label: 'go'}]}})
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'Fix the parser', labels: ['go']})
  })

  it('says each transition once across its passes, and lists through the ETag (304) while nothing changed', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, title: 'Second', labels: ['go']})
    const go = path.join(sb.dir, 'go')
    env = {...env, STANDIN_HOLD_FILE: go}
    const cli = loop(['--max-active', '1'])
    await cli.waitFor('#1 started', () => of(linesOf(cli), 'started', 'acme/api#1').length > 0, 120_000)
    await morePasses(cli, 3)
    expect(of(linesOf(cli), 'waiting', 'acme/api#2').map((e) => e.reason)).to.deep.equal(['slots'])
    const listings = forge.requestsTo('/gh-api/repos/acme/api/issues')
    expect(listings.length).to.be.at.least(3)
    expect(listings[0].status).to.equal(200)
    expect(listings.slice(1).map((r) => r.status)).to.satisfy((s: number[]) => s.every((x) => x === 304), 'unchanged listings answered 304')

    // #1 lands nothing twice (the run, then the nudge) and is given up; then #2 gets the slot.
    writeFileSync(go, '')
    await cli.waitFor('#2 started', () => of(linesOf(cli), 'started', 'acme/api#2').length > 0, 120_000)
    await morePasses(cli, 3)
    await stop(cli)
    const events = linesOf(cli)
    const runs = runsOf('acme/api#1')
    expect(runs).to.have.length(2)
    expect(of(events, 'ended', 'acme/api#1').map((e) => e.worker)).to.deep.equal(runs.map((r) => `pid ${r.pid}`))
    expect(of(events, 'resumed', 'acme/api#1').map((e) => e.reason)).to.deep.equal(['nudge'])
    expect(of(events, 'given-up', 'acme/api#1')).to.have.length(1)
    expect(of(events, 'started').map((e) => e.ref)).to.deep.equal(['acme/api#1', 'acme/api#2'])
    expect(of(events, 'waiting', 'acme/api#2').map((e) => e.reason)).to.deep.equal(['slots'])
  })

  it('a pull request waiting for review is not asked about every pass; its issue closing (the merge) gets it asked at once', async () => {
    const go = path.join(sb.dir, 'go')
    env = {...env, STANDIN_COMMIT: '1', STANDIN_HOLD_FILE: go}
    const cli = loop()
    // The pull request is there (checks green) before the run ends: the next pass finds it waiting for review.
    const run = await cli.waitFor('the run to commit', () => {
      const r = runsOf('acme/api#1')[0]
      return r && git(checkout, 'rev-list', '--count', `main..${r.branch}`) === '1' && r
    }, 120_000)
    const tip = git(checkout, 'rev-parse', run.branch)
    forge.addPull({owner: 'acme', repo: 'api', number: 10, branch: run.branch, headSha: tip})
    forge.addCheckRun({owner: 'acme', repo: 'api', sha: tip, name: 'unit', conclusion: 'success'})
    writeFileSync(go, '')
    await cli.waitFor('the pull request', () => of(linesOf(cli), 'pull-request', 'acme/api#1').length > 0, 120_000)
    await morePasses(cli, 4)
    expect(of(linesOf(cli), 'pull-request', 'acme/api#1')).to.have.length(1)
    expect(of(linesOf(cli), 'pull-request', 'acme/api#1')[0]).to.include({number: 10, state: 'open', checks: 'success'})
    const asked = {
      pulls: forge.requestsTo('/gh-api/repos/acme/api/pulls').length,
      checks: forge.requestsTo(`/gh-api/repos/acme/api/commits/${tip}/check-runs`).length,
      reviews: forge.requestsTo('/gh-api/repos/acme/api/pulls/10/reviews').length,
    }
    expect(asked).to.deep.equal({pulls: 1, checks: 1, reviews: 1})
    expect(of(linesOf(cli), 'resumed')).to.deep.equal([])

    forge.updatePull({owner: 'acme', repo: 'api', number: 10, state: 'merged'})
    forge.updateIssue({owner: 'acme', repo: 'api', number: 1, state: 'closed'})
    await cli.waitFor('the merge', () => of(linesOf(cli), 'merged', 'acme/api#1').length > 0, 60_000)
    expect(of(linesOf(cli), 'merged', 'acme/api#1')[0]).to.include({number: 10, reaped: true})
    // Asked again in the pass that saw the issue leave the listing, and once more by reap, which vouches for the merge itself.
    expect(forge.requestsTo('/gh-api/repos/acme/api/pulls').length).to.equal(3)
    expect(worktrees(sb)).to.deep.equal([])
    await stop(cli)
  })

  it('a rate-limited listing holds the forge until its reset: said once, with when, and not asked again meanwhile', async () => {
    const reset = Math.floor(Date.now() / 1000) + 900
    forge.script('GET /gh-api/repos/acme/api/issues', [{status: 403, body: {message: 'API rate limit exceeded for user ID 1.'}, headers: {'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset)}}])
    const cli = loop()
    await cli.waitFor('a pass', () => passes(cli) > 0, 120_000)
    await morePasses(cli, 3)
    await stop(cli)
    const events = linesOf(cli)
    const errors = of(events, 'error')
    expect(errors).to.have.length(1)
    expect(errors[0]).to.include({ref: null, until: new Date(reset * 1000).toISOString()})
    expect(errors[0].message).to.match(/could not list acme\/api \(label go\)/)
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues')).to.have.length(1)
    expect(of(events, 'started')).to.deep.equal([])
    expect(records(sb)).to.deep.equal([])
  })

  it('kill -9 of a loop whose worker then failed: the restart takes the lock over, starts no duplicate, and retries after the back-off', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, title: 'Second', labels: ['go']})
    // #1's first run replies, then fails once let go; every other run replies and works on until the test ends.
    const fail = path.join(sb.dir, 'fail')
    const file = path.join(sb.dir, 'script.json')
    writeFileSync(file, JSON.stringify([{STANDIN_MODE: 'error-result', STANDIN_HOLD_FILE: fail}, {STANDIN_HOLD_FILE: t.release}]))
    env = {...env, STANDIN_SCRIPT: file}
    const cli = startCli(['watch', '--json', '--interval', '1h'], {env})
    t.pids.add(cli.pid)
    await cli.waitFor('the first pass', () => passes(cli) > 0, 120_000)
    expect(records(sb).map((r) => [r.ref, r.attempt]).sort()).to.deep.equal([
      ['acme/api#1', 1],
      ['acme/api#2', 1],
    ])
    process.kill(cli.pid, 'SIGKILL')
    await cli.done
    writeFileSync(fail, '')
    await waitFor('#1 to fail', () => runsOf('acme/api#1')[0].ended_at)
    const lock = path.join(sb.stateDir, 'watch.lock')
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid, 'the dead loop still names itself').to.equal(cli.pid)

    const seen = await passUntil(env, 'acme/api#1', 'resumed')
    const [r1] = runsOf('acme/api#1')
    expect(of(seen, 'started'), 'no duplicate of the running #2').to.deep.equal([])
    const resumed = of(seen, 'resumed', 'acme/api#1')[0]
    expect(resumed).to.include({reason: 'retry', attempt: 2, round: 0, continues: String(r1.pid)})
    const due = Date.parse(r1.ended_at) + 10_000
    // Not before the back-off; any pass before it said it waits, and until when.
    expect(Date.parse(resumed.ts)).to.be.at.least(due)
    const waits = of(seen, 'waiting', 'acme/api#1')
    expect(waits.length, 'a pass for each wait').to.equal(seen.filter((e) => e.event === 'pass').length - 1)
    for (const w of waits) expect(w).to.include({reason: 'backoff', until: new Date(due).toISOString()})
    expect(runsOf('acme/api#2')).to.have.length(1)
    const after = await pass(env)
    expect(of(after, 'started').concat(of(after, 'resumed'))).to.deep.equal([])
    expect(records(sb)).to.have.length(3)
  })

  it('SIGTERM while a pass starts workers: the start under way finishes, nothing after it starts, no stray worktree', async () => {
    for (const n of [2, 3]) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`, labels: ['go']})
    env = {...env, STANDIN_HOLD_FILE: t.release}
    // The second issue's fetch is slow, so the signal comes while its start is under way.
    forge.script('GET /gh-api/repos/acme/api/issues/2', [{status: 200, delayMs: 4000}])
    const cli = loop()
    await cli.waitFor('the second start', () => forge.requestsTo('/gh-api/repos/acme/api/issues/2').length > 0, 120_000)
    process.kill(cli.pid, 'SIGTERM')
    const done = await cli.done
    expect(done.code, done.stderr).to.equal(143)
    const events = linesOf(cli)
    expect(events.at(-1)).to.include({ref: null, event: 'stopped', reason: 'SIGTERM'})
    expect(done.stderr).not.to.match(/\n\s+at /)
    // #3 was never asked about, let alone started.
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues/3')).to.deep.equal([])
    const started = of(events, 'started').map((e) => e.ref)
    expect(started).to.deep.equal(['acme/api#1', 'acme/api#2'])
    // Every record is a worker that runs, and every worktree belongs to one.
    const rs = records(sb)
    expect(rs.map((r) => r.ref).sort()).to.deep.equal(started.sort())
    expect(worktrees(sb)).to.have.length(rs.length)
  })

  it('a rate limit met while asking about a finished run decides nothing: no nudge on a guess, and no forge traffic until the reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 900
    forge.script('GET /gh-api/repos/acme/api/pulls', [{status: 403, body: {message: 'API rate limit exceeded for user ID 1.'}, headers: {'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset)}}])
    // The run ends at once with nothing on its branch: with the forge's answer it would be nudged.
    const cli = loop()
    await cli.waitFor('the pull-request lookup', () => forge.requestsTo('/gh-api/repos/acme/api/pulls').length > 0, 120_000)
    await morePasses(cli, 3)
    const listed = forge.requestsTo('/gh-api/repos/acme/api/issues').length
    await morePasses(cli, 2)
    await stop(cli)
    const events = linesOf(cli)
    expect(of(events, 'ended', 'acme/api#1')[0]).to.include({end: 'completed'})
    expect(of(events, 'resumed').concat(of(events, 'given-up'))).to.deep.equal([])
    expect(forge.requestsTo('/gh-api/repos/acme/api/pulls')).to.have.length(1)
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues').length, 'no listing while the forge is held').to.equal(listed)
    const held = of(events, 'error')
    expect(held).to.have.length(1)
    expect(held[0]).to.include({until: new Date(reset * 1000).toISOString()})
    expect(records(sb)).to.have.length(1)
  })
})
