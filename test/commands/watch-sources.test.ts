// dispatch watch (issue #22) through the real binary: what it reads from the
// listing. A listing that failed says nothing about the issues (no worker is
// stopped on it); two labels on one repository list an issue once; errors are
// said once per source; dispatch's own maxActive makes watch wait, not fail;
// a usage limit's hold lifts at its reset.
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {isAlive, runCli, startCli, waitFor, writeConfig, type Sandbox, type StartedCli} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'
import {of, pass, passUntil, type WatchEvent} from '../support/watch.js'

const linesOf = (cli: StartedCli): WatchEvent[] =>
  cli
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as WatchEvent)

describe('dispatch watch: sources, listings and admission (through the binary)', function () {
  this.timeout(300_000)
  const t = useForgeSandbox({repos: ['acme/api'], exitWaitMs: 15_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  const sources = (...s: Array<[string, string]>) => s.map(([repo, label]) => ({repo, label}))
  const runsOf = (ref: string) => records(sb).filter((r) => r.ref === ref).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
  const starts = (events: WatchEvent[]) => of(events, 'started').concat(of(events, 'resumed'))

  beforeEach(() => {
    ;({forge, sb, env} = t)
    // Workers reply, then work on until the test ends.
    env = {...env, STANDIN_HOLD_FILE: t.release}
  })

  it('a listing that fails stops no worker and starts nothing; the next one that works carries on', async () => {
    writeConfig(sb, {github: forge.github}, {watch: {sources: sources(['acme/api', 'go'])}})
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, labels: ['go']})
    await pass(env)
    const [w] = runsOf('acme/api#1')
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, labels: ['go']})
    forge.script('GET /gh-api/repos/acme/api/issues', [{status: 403, body: {message: 'Resource not accessible by integration'}}])
    const failed = await pass(env)
    expect(of(failed, 'error')[0].message).to.match(/could not list acme\/api \(label go\)/)
    expect(of(failed, 'stopped').concat(of(failed, 'stalled'), starts(failed))).to.deep.equal([])
    expect(isAlive(w.pid)).to.equal(true)
    expect(runsOf('acme/api#1')[0].watch_stop ?? null).to.equal(null)
    const next = await pass(env)
    expect(of(next, 'started').map((e) => e.ref)).to.deep.equal(['acme/api#2'])
    expect(of(next, 'stopped')).to.deep.equal([])
  })

  it('two labels on one repository: an issue with both is listed and started once, and stays while it keeps either', async () => {
    writeConfig(sb, {github: forge.github}, {watch: {sources: sources(['acme/api', 'go'], ['acme/api', 'ready'])}})
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, labels: ['go']})
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, labels: ['ready']})
    forge.addIssue({owner: 'acme', repo: 'api', number: 3, labels: ['go', 'ready']})
    const first = await pass(env)
    expect(of(first, 'started').map((e) => e.ref)).to.deep.equal(['acme/api#1', 'acme/api#2', 'acme/api#3'])
    expect(of(first, 'pass')[0]).to.include({listed: 3, running: 3})
    expect(records(sb)).to.have.length(3)
    forge.updateIssue({owner: 'acme', repo: 'api', number: 3, labels: ['ready']})
    forge.updateIssue({owner: 'acme', repo: 'api', number: 2, labels: []})
    const second = await pass(env)
    expect(of(second, 'stopped').map((e) => [e.ref, e.reason])).to.deep.equal([['acme/api#2', 'unlabelled']])
    expect(starts(second)).to.deep.equal([])
    expect(isAlive(runsOf('acme/api#3')[0].pid)).to.equal(true)
  })

  it('two sources that cannot be listed: each error said once by a loop, not every pass', async () => {
    writeConfig(sb, {github: forge.github}, {watch: {sources: sources(['acme/gone', 'go'], ['acme/lost', 'go'])}})
    forge.addMissing({owner: 'acme', repo: 'gone'})
    forge.addMissing({owner: 'acme', repo: 'lost'})
    const cli = startCli(['watch', '--json', '--interval', '1'], {env})
    t.pids.add(cli.pid)
    await cli.waitFor('four passes', () => of(linesOf(cli), 'pass').length >= 4, 120_000)
    process.kill(cli.pid, 'SIGTERM')
    await cli.done
    expect(forge.requestsTo('/gh-api/repos/acme/gone/issues').length).to.be.at.least(4)
    const errors = of(linesOf(cli), 'error').map((e) => (/could not list (acme\/\w+)/.exec(e.message) ?? [])[1])
    expect(errors.sort()).to.deep.equal(['acme/gone', 'acme/lost'])
  })

  it("dispatch's own maxActive, reached by a worker watch did not start, makes watch wait (slots), not fail; the slot freed, it starts", async () => {
    writeConfig(sb, {github: forge.github}, {maxActive: 2, watch: {sources: sources(['acme/api', 'go']), maxActive: 3}})
    forge.addIssue({owner: 'acme', repo: 'api', number: 9, title: 'By hand'})
    for (const n of [1, 2]) forge.addIssue({owner: 'acme', repo: 'api', number: n, labels: ['go']})
    const manual = await runCli(['headless', 'acme/api#9'], {env})
    expect(manual.code, manual.stderr).to.equal(0)
    const first = await pass(env)
    expect(of(first, 'started').map((e) => e.ref)).to.deep.equal(['acme/api#1'])
    const waiting = of(first, 'waiting', 'acme/api#2')[0]
    expect(waiting).to.include({reason: 'slots'})
    expect(waiting.detail).to.match(/maxActive/)
    expect(of(first, 'error')).to.deep.equal([])
    expect(runsOf('acme/api#2')).to.deep.equal([])
    expect(standIns(sb)).to.have.length(2)

    const stop = await runCli(['stop', 'acme/api#9'], {env})
    expect(stop.code, stop.stderr).to.equal(0)
    await waitFor('the manual worker to end', () => runsOf('acme/api#9')[0].ended_at)
    const second = await pass(env)
    expect(of(second, 'started').map((e) => e.ref)).to.deep.equal(['acme/api#2'])
    // The operator's worker is not watch's: its end is not followed, the issue not listed.
    expect(of(second, 'ended')).to.deep.equal([])
  })

  it('a usage limit holds every start until its reset, then the run resumes and the next issue starts', async () => {
    writeConfig(sb, {github: forge.github}, {watch: {sources: sources(['acme/api', 'go'])}})
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, labels: ['go']})
    const reset = Math.ceil(Date.now() / 1000) + 6
    const file = path.join(sb.dir, 'script.json')
    writeFileSync(file, JSON.stringify([{STANDIN_MODE: 'usage-limit', STANDIN_RESET_AT: String(reset), STANDIN_HOLD_FILE: ''}, {}]))
    env = {...env, STANDIN_SCRIPT: file}
    await pass(env)
    await waitFor('the limited run to end', () => runsOf('acme/api#1')[0].ended_at)
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, labels: ['go']})
    const seen = await passUntil(env, 'acme/api#1', 'resumed')
    const resumed = of(seen, 'resumed', 'acme/api#1')[0]
    expect(resumed).to.include({reason: 'retry', attempt: 2})
    expect(Date.parse(resumed.ts)).to.be.at.least(reset * 1000)
    for (const w of of(seen, 'waiting')) expect(w).to.include({reason: 'usage-limit', until: new Date(reset * 1000).toISOString()})
    expect(of(seen, 'started', 'acme/api#2'), 'the next issue starts in the pass the hold lifts').to.have.length(1)
    const claude = standIns(sb).find((s) => s.pid === resumed.pid)!
    expect(claude.stdin).to.match(/Your previous run stopped at a usage limit/)
  })
})
