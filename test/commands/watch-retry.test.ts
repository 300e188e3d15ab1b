// dispatch watch (issue #22): runs that fail are resumed in the same session
// after a back-off, a usage limit holds every start until its reset, a run
// that lands nothing gets one nudge, and the daily budget stops new starts.
// The stand-in claude is scripted per run (STANDIN_SCRIPT).
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'
import {of, pass, passUntil} from '../support/watch.js'

describe('dispatch watch: retries, limits, nudges and the budget (through the binary)', function () {
  this.timeout(300_000)
  const t = useForgeSandbox({repos: ['acme/api'], exitWaitMs: 15_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  const script = (runs: Array<Record<string, string>>) => {
    const file = path.join(sb.dir, 'script.json')
    writeFileSync(file, JSON.stringify(runs))
    env = {...env, STANDIN_SCRIPT: file}
  }
  const watchConfig = (watch: Record<string, unknown>, extra: Record<string, unknown> = {}) => writeConfig(sb, {github: forge.github}, {watch: {sources: [{repo: 'acme/api', label: 'go'}], ...watch}, ...extra})
  const ended = (n: number) => waitFor(`${n} ended runs`, () => records(sb).filter((r) => r.ended_at).length >= n && records(sb).length)
  const byStart = () => records(sb).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))

  beforeEach(() => {
    ;({forge, sb, env} = t)
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'Fix the parser', labels: ['go']})
  })

  it('a crash is resumed in the same session after the back-off, as attempt 2; the last attempt that fails is given up', async () => {
    const notified = path.join(sb.dir, 'notified.jsonl')
    watchConfig({maxAttempts: 2}, {notify: {command: `cat >> ${notified}; echo >> ${notified}`}})
    script([{STANDIN_MODE: 'crash'}, {STANDIN_MODE: 'crash'}])
    const first = await pass(env)
    // The crash came inside the health window: the start failed, and the record says so.
    expect(of(first, 'error', 'acme/api#1')[0].message).to.match(/failed at start/)
    await ended(1)
    const [r1] = byStart()
    expect(r1).to.include({attempt: 1, round: 0, watched: true, crashed: true})
    expect(r1.claude_session_id).to.be.a('string')

    const seen = await passUntil(env, 'acme/api#1', 'resumed')
    const ends = of(seen, 'ended', 'acme/api#1')
    expect(ends[0]).to.include({end: 'crashed', attempt: 1})
    // Until the back-off passed, it waited, and said until when.
    const waits = of(seen, 'waiting', 'acme/api#1')
    if (waits.length > 0) expect(Date.parse(waits[0].until)).to.equal(Date.parse(byStart()[0].ended_at) + 10_000)
    const resumed = of(seen, 'resumed', 'acme/api#1')[0]
    expect(resumed).to.include({reason: 'retry', attempt: 2, round: 0, session: r1.claude_session_id})
    await ended(2)
    const runs = standIns(sb)
    const second = runs.find((s) => s.argv.includes('--resume'))!
    expect(second.argv.slice(second.argv.indexOf('--resume'), second.argv.indexOf('--resume') + 2)).to.deep.equal(['--resume', r1.claude_session_id])
    expect(second.argv).to.include('-p')
    expect(second.stdin).to.match(/dispatch watch resumed this session for acme\/api#1 \(attempt 2\)\. Your previous run crashed/)
    expect(second.cwd).to.equal(r1.cwd)
    const r2 = byStart()[1]
    expect(r2).to.include({attempt: 2, round: 0, continuation: 'retry', continues: String(r1.pid), watched: true})

    const last = await passUntil(env, 'acme/api#1', 'given-up')
    expect(of(last, 'given-up', 'acme/api#1')[0].reason).to.match(/crashed .* on attempt 2 of 2/)
    expect(byStart()[1].given_up).to.match(/attempt 2 of 2/)
    // The notifiers hear it too.
    const events = readFileSync(notified, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
    expect(events.find((e) => e.event === 'given_up')).to.deep.include({ref: 'acme/api#1', reason: byStart()[1].given_up})
    // Given up stays given up: no further run.
    const after = await pass(env)
    expect(of(after, 'started').concat(of(after, 'resumed'))).to.deep.equal([])
    expect(records(sb)).to.have.length(2)
  })

  it('a usage limit that names its reset holds every new start until then', async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, title: 'Another', labels: ['go']})
    watchConfig({maxActive: 1})
    script([{STANDIN_MODE: 'usage-limit', STANDIN_RESET_AT: String(reset)}])
    await pass(env)
    await ended(1)
    const second = await pass(env)
    expect(of(second, 'ended', 'acme/api#1')[0]).to.include({end: 'usage-limit'})
    const holds = of(second, 'waiting').map((e) => [e.ref, e.reason, e.until])
    const until = new Date(reset * 1000).toISOString()
    expect(holds).to.deep.include(['acme/api#1', 'usage-limit', until])
    expect(holds).to.deep.include(['acme/api#2', 'usage-limit', until])
    expect(records(sb)).to.have.length(1)
  })

  it('a rate limit is retried by resuming the session', async () => {
    watchConfig({})
    script([{STANDIN_MODE: 'rate-limit'}, {STANDIN_MODE: 'ok'}])
    await pass(env)
    await ended(1)
    const seen = await passUntil(env, 'acme/api#1', 'resumed')
    expect(of(seen, 'ended', 'acme/api#1')[0]).to.include({end: 'rate-limit'})
    expect(of(seen, 'resumed', 'acme/api#1')[0]).to.include({reason: 'retry', attempt: 2})
  })

  it('a run that ends without commits gets one nudge in its session, then is given up', async () => {
    watchConfig({})
    script([{STANDIN_MODE: 'ok'}, {STANDIN_MODE: 'ok'}])
    await pass(env)
    await ended(1)
    const second = await pass(env)
    expect(of(second, 'resumed', 'acme/api#1')[0]).to.include({reason: 'nudge', attempt: 1, round: 0})
    await ended(2)
    const nudge = standIns(sb).find((s) => s.argv.includes('--resume'))!
    expect(nudge.stdin).to.match(/your run ended, but the branch has no commits of yours yet/).and.match(/This is the one reminder/)
    expect(byStart()[1]).to.include({continuation: 'nudge'})
    const third = await pass(env)
    expect(of(third, 'given-up', 'acme/api#1')[0].reason).to.equal('the worker ended twice with no commits on the branch')
  })

  it('the daily budget stops new starts and says so', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, title: 'Another', labels: ['go']})
    // The stand-in's run costs $0.0123.
    watchConfig({maxActive: 1}, {budget: {dailyUsd: 0.01}})
    script([{STANDIN_MODE: 'ok', STANDIN_COMMIT: '1'}])
    await pass(env)
    await ended(1)
    const second = await pass(env)
    const budget = of(second, 'waiting').filter((e) => e.reason === 'budget')
    expect(budget.length).to.be.greaterThan(0)
    expect(budget[0].detail).to.match(/Today's spend has reached the daily budget: \$0\.01 of budget\.dailyUsd \$0\.01/)
    expect(records(sb)).to.have.length(1)
  })
})
