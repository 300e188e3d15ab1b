// The fleet's daily spend cap (issue #22, config budget.dailyUsd) through the
// real binary: records planted in the registry, real git, the stand-in claude.
import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {runCli, startModelStub, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {records, sampleRecord, standIns, writeRecord} from '../support/state.js'

/** An ended worker of `started` that cost `usd`; pid far past any live one. */
const ended = (pid: number, started: Date, usd: number | null) => sampleRecord(pid, {started_at: started.toISOString(), ended_at: started.toISOString(), exit_code: 0, cost_usd: usd})
/** Noon of yesterday, local time (the test process's TZ, which the binary inherits). */
const yesterday = () => {
  const d = new Date()
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - 1, 12)
}
/** A worker still running today (a sleep this test started: alive, the recorded process), no cost yet. */
let sleeper: ChildProcess | undefined
const running = () => {
  sleeper = spawn('sleep', ['600'], {stdio: 'ignore'})
  return sampleRecord(sleeper.pid!, {ref: 'acme/other#1', cost_usd: null})
}

describe('budget.dailyUsd (through the binary)', function () {
  this.timeout(120_000)
  const t = useForgeSandbox({repos: ['acme/api'], env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789'}})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => {
    ;({forge, sb, env} = t)
    for (const n of [12, 13, 14]) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`})
  })
  afterEach(() => {
    sleeper?.kill('SIGKILL')
    sleeper = undefined
  })

  it('starts under the cap; once a worker\'s cost is recorded and reaches the cap, the next start is refused (exit 3)', async () => {
    writeConfig(sb, {github: forge.github}, {budget: {dailyUsd: 4.01}})
    writeRecord(sb, ended(999_001, new Date(), 4))
    const first = await runCli(['headless', 'acme/api#12'], {env})
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stderr).not.to.include('unknown key')
    // The stand-in reports $0.0123 when it ends: $4.0123 reaches $4.01.
    await waitFor('the worker to record its cost', () => records(sb).find((r) => r.ref === 'acme/api#12' && r.ended_at))
    const second = await runCli(['headless', 'acme/api#13'], {env})
    expect(second.code, second.stderr).to.equal(3)
    expect(second.stderr).to.include("Today's spend has reached the daily budget: $4.01 of budget.dailyUsd $4.01 (spent so far $4.01 by 2 workers started today); no new worker is started.")
    expect(records(sb).map((r) => r.ref)).not.to.include('acme/api#13')
  })

  it('at the cap refuses headless, cascade, interactive and --force alike; yesterday (local day, TZ) does not count; running workers count 0 and are named', async () => {
    writeConfig(sb, {github: forge.github}, {budget: {dailyUsd: 10}})
    // Today and yesterday by the binary's TZ (UTC+14, where the days do not fall as in UTC).
    const dayMs = 86_400_000
    const offset = 14 * 3_600_000
    const localStart = Math.floor((Date.now() + offset) / dayMs) * dayMs - offset
    writeRecord(sb, ended(999_001, new Date(localStart + 60_000), 6))
    writeRecord(sb, ended(999_002, new Date(Date.now()), 4))
    writeRecord(sb, ended(999_003, new Date(localStart - 60_000), 100))
    writeRecord(sb, running())
    const tzEnv = {...env, TZ: 'Etc/GMT-14'}
    for (const argv of [['headless', 'acme/api#12'], ['cascade', 'acme/api#12'], ['headless', '--force', 'acme/api#12'], ['interactive', 'acme/api#12', '--surface', 'print']]) {
      const res = await runCli(argv, {env: tzEnv})
      expect(res.code, `${argv.join(' ')}: ${res.stderr}`).to.equal(3)
      expect(res.stderr).to.include("Today's spend has reached the daily budget: $10.00 of budget.dailyUsd $10.00 (spent so far $10.00 by 3 workers started today; 1 still running is not counted yet); no new worker is started.")
      expect(res.stderr).to.include(`Raise budget.dailyUsd in ${sb.configFile}, or wait until tomorrow (the day is local time, TZ Etc/GMT-14). --force does not lift the budget.`)
    }
    expect(standIns(sb)).to.have.length(0)
    expect(existsSync(path.join(sb.worktreeRoot, 'acme', 'api'))).to.equal(false)
  })

  it('under the cap with yesterday\'s spend and a running worker: starts, and bare status shows today\'s spend against the cap', async () => {
    writeConfig(sb, {github: forge.github}, {budget: {dailyUsd: 10}})
    writeRecord(sb, ended(999_001, new Date(), 9.99))
    writeRecord(sb, ended(999_003, yesterday(), 50))
    writeRecord(sb, running())
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code, res.stderr).to.equal(0)
    await waitFor('the worker to record its cost', () => records(sb).find((r) => r.ref === 'acme/api#12' && r.ended_at))
    const status = await runCli(['status', '--no-outcome'], {env})
    expect(status.code, status.stderr).to.equal(0)
    expect(status.stderr).to.include('today $10.00 of budget.dailyUsd $10.00 (spent so far $10.00 by 3 workers started today; 1 still running is not counted yet): reached, new starts are refused until tomorrow')
    // --json's shape (a list of workers) gains nothing.
    const json = await runCli(['status', '--no-outcome', '--json'], {env})
    expect(JSON.parse(json.stdout)).to.be.an('array')
    expect(json.stderr).not.to.include('budget')
  })

  it('a fan-out over the cap refuses every issue and the tally says so', async () => {
    writeConfig(sb, {github: forge.github}, {budget: {dailyUsd: 1}})
    writeRecord(sb, ended(999_001, new Date(), 1.5))
    const res = await runCli(['headless', 'acme/api#12', 'acme/api#13', 'acme/api#14'], {env})
    expect(res.code, res.stderr).to.equal(3)
    const lines = res.stdout.trim().split('\n')
    expect(lines).to.have.length(3)
    for (const [i, n] of [12, 13, 14].entries()) expect(lines[i]).to.match(new RegExp(`^refused +acme/api#${n} +Today's spend has reached the daily budget: \\$1\\.50 of budget\\.dailyUsd \\$1\\.00`))
    expect(res.stderr).to.include('Started 0 headless workers for 3 issues; 3 refused.')
    expect(standIns(sb)).to.have.length(0)
  })

  for (const [value, why] of [[0, 'greater than 0'], [-5, 'greater than 0'], ['5', 'expected number, got string']] as const) {
    it(`budget.dailyUsd ${JSON.stringify(value)} is a usage error (exit 2) naming the key; nothing starts`, async () => {
      writeConfig(sb, {github: forge.github}, {budget: {dailyUsd: value}})
      const res = await runCli(['headless', 'acme/api#12'], {env})
      expect(res.code, res.stderr).to.equal(2)
      expect(res.stderr).to.match(new RegExp(`budget\\.dailyUsd: .*${why}`))
      expect(records(sb)).to.have.length(0)
    })
  }

  it('doctor reports the cap and today\'s spend: ok under it, warn once reached', async () => {
    const model = await startModelStub()
    try {
      writeConfig(sb, {github: forge.github}, {budget: {dailyUsd: 10}})
      writeRecord(sb, ended(999_001, new Date(), 3))
      writeRecord(sb, running())
      const doctor = async () => {
        const res = await runCli(['doctor', '--json'], {env: {...env, ...model.env}})
        return (JSON.parse(res.stdout) as {checks: Array<{name: string; status: string; detail: string; fix?: string}>}).checks.filter((c) => c.name === 'budget')
      }
      expect(await doctor()).to.deep.equal([{name: 'budget', status: 'ok', detail: 'today $3.00 of budget.dailyUsd $10.00 (spent so far $3.00 by 2 workers started today; 1 still running is not counted yet)'}])
      writeRecord(sb, ended(999_002, new Date(), 7))
      const [over] = await doctor()
      expect(over).to.include({status: 'warn', detail: 'today $10.00 of budget.dailyUsd $10.00 (spent so far $10.00 by 3 workers started today; 1 still running is not counted yet): reached, new starts are refused until tomorrow'})
      expect(over.fix).to.match(/Raise budget\.dailyUsd/)
      const plain = await runCli(['doctor'], {env: {...env, ...model.env}})
      expect(plain.stdout).to.match(/budget: today \$10\.00 of budget\.dailyUsd \$10\.00/)
    } finally {
      await model.close()
    }
  })
})
