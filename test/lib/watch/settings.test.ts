import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {validateConfig} from '../../../src/lib/config/index.js'
import {PolicyError, UsageError} from '../../../src/lib/errors.js'
import {processStartTime} from '../../../src/lib/proc.js'
import {takeWatchLock, watchLockPath} from '../../../src/lib/watch/lock.js'
import {jsonReporter, rowLine, tallyLine} from '../../../src/lib/watch/report.js'
import {parseInterval, watchSettings} from '../../../src/lib/watch/settings.js'
import {TRACKER_MARK, trackerBody, trackerCommentId} from '../../../src/lib/watch/tracker.js'
import {record} from '../../support/dispatch-facts.js'
import {waitFor} from '../../support/helpers.js'

const config = (watch?: unknown) => validateConfig({allowedOwners: ['acme'], maxActive: 6, ...(watch ? {watch} : {})}, 'test', {HOME: '/home/me'})

describe('watch: settings, lock, tracker and report', () => {
  it('sources come from --repo with --label, else from watch.sources; duplicates collapse', () => {
    const s = watchSettings(config({sources: [{repo: 'acme/api', label: 'go'}], maxAttempts: 5}), {})
    expect(s).to.deep.include({sources: [{owner: 'acme', repo: 'api', label: 'go'}], intervalMs: 60_000, maxActive: 6, maxAttempts: 5, maxRounds: 3, stallMs: 30 * 60_000, comment: false})
    const f = watchSettings(config(), {repo: ['acme/api', 'acme/web', 'acme/api'], label: 'ready', interval: '2m', maxActive: 2})
    expect(f.sources.map((x) => x.repo)).to.deep.equal(['api', 'web'])
    expect([f.intervalMs, f.maxActive]).to.deep.equal([120_000, 2])
  })

  it('refuses what cannot be watched with the fix', () => {
    expect(() => watchSettings(config(), {repo: ['acme/api']})).to.throw(UsageError, /--repo needs --label/)
    expect(() => watchSettings(config(), {label: 'x'})).to.throw(UsageError, /--label needs --repo/)
    expect(() => watchSettings(config(), {})).to.throw(UsageError, /Nothing to watch/)
    expect(() => watchSettings(config(), {repo: ['outsider/api'], label: 'x'})).to.throw(PolicyError, /"outsider" is not in allowedOwners \(watched repository outsider\/api\)/)
    expect(() => watchSettings(config(), {repo: ['not a repo'], label: 'x'})).to.throw(UsageError, /--repo must be owner\/repo/)
  })

  it('--interval takes seconds or a unit, between 1 s and a day', () => {
    expect(['30', '90s', '5m', '1h', '1.5m'].map(parseInterval)).to.deep.equal([30_000, 90_000, 300_000, 3_600_000, 90_000])
    for (const bad of ['0', '-1', 'soon', '2d', '']) expect(() => parseInterval(bad), bad).to.throw(UsageError, /--interval/)
  })

  describe('the one-watch lock', () => {
    let dir: string
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'watch-lock-'))))
    afterEach(() => rmSync(dir, {recursive: true, force: true}))

    it('is taken, refused to a second holder naming the live one, and released', async () => {
      // Another live process holds it.
      const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
      try {
        await waitFor('the holder to start', () => processStartTime(other.pid!) !== undefined)
        writeFileSync(watchLockPath(dir), JSON.stringify({pid: other.pid, start_time: processStartTime(other.pid!), started_at: 'then'}))
        expect(() => takeWatchLock(dir, new Date())).to.throw(PolicyError, new RegExp(`pid ${other.pid}`))
      } finally {
        other.kill('SIGKILL')
      }
      await waitFor('the holder to die', () => processStartTime(other.pid!) === undefined)
      // Its holder is gone: taken over.
      const release = takeWatchLock(dir, new Date())
      expect(JSON.parse(readFileSync(watchLockPath(dir), 'utf8')).pid).to.equal(process.pid)
      release()
      expect(existsSync(watchLockPath(dir))).to.equal(false)
    })

    it('a garbled lock file is taken over', () => {
      writeFileSync(watchLockPath(dir), 'not json')
      const release = takeWatchLock(dir, new Date())
      expect(JSON.parse(readFileSync(watchLockPath(dir), 'utf8')).pid).to.equal(process.pid)
      release()
    })
  })

  it('the tracker comment says where the work stands, and nothing from the log', () => {
    const runs = [record({cost_usd: 0.5, attempt: 1}), record({cost_usd: 0.25, attempt: 2, round: 1, tracker_comment_id: 77, branch: 'dispatch/issue-7-x'})]
    const body = trackerBody({state: 'in-review', runs, pullRequest: {number: 9, url: 'u'}, now: new Date('2026-12-04T12:00:00Z'), reason: 'ping @someone `now`'})
    expect(body.startsWith(TRACKER_MARK)).to.equal(true)
    expect(body).to.include('pull request open, waiting for review').and.include('#9').and.include('$0.75').and.include('attempt 2, round 1').and.include('`dispatch/issue-7-x`')
    expect(body).not.to.include('@someone')
    expect(trackerCommentId(runs)).to.equal(77)
    expect(trackerCommentId([record({})])).to.equal(undefined)
  })

  it('--json events are one object a line with ts, ref and event; rows and the tally fit the width', () => {
    const out: string[] = []
    const r = jsonReporter((s) => out.push(s), () => new Date('2026-12-04T12:00:00Z'))
    r.event({ref: 'acme/api#7', event: 'started', attempt: 1})
    expect(out).to.deep.equal(['{"ts":"2026-12-04T12:00:00.000Z","ref":"acme/api#7","event":"started","attempt":1}\n'])
    const line = rowLine({ref: 'acme/api#7', state: 'running', attempt: 2, round: 1, worker: 'pid 4242', pullRequest: 'PR #9 ✗', costUsd: 1.5}, 80)
    expect(line).to.match(/^acme\/api#7 +running +a2\/r1 +pid 4242 +PR #9 ✗ +\$1\.50$/)
    expect(rowLine({ref: 'acme/api#7', state: 'given-up', attempt: 3, round: 0, worker: null, pullRequest: null, costUsd: 0, note: 'x'.repeat(200)}, 60)).to.have.length(60)
    expect(tallyLine({listed: 4, running: 2, waiting: 2, given_up: 0, done: 1, spent_today_usd: 1.2})).to.equal('4 listed · 2 running · 2 waiting · 0 given up · 1 done · $1.20 today')
  })
})

describe('watch: the live board on a terminal', () => {
  it('draws one line per issue and the tally, redraws them in place, and prints a given-up issue above them', async () => {
    const {terminalReporter} = await import('../../../src/lib/watch/report.js')
    let out = ''
    const r = terminalReporter((s) => (out += s), () => 80)
    const row = {ref: 'acme/api#7', state: 'running' as const, attempt: 1, round: 0, worker: 'pid 42', pullRequest: null, costUsd: 0}
    const tally = {listed: 1, running: 1, waiting: 0, given_up: 0, done: 0, spent_today_usd: null}
    r.board([row], tally)
    expect(out).to.equal(`${rowLine(row, 80)}\n1 listed · 1 running · 0 waiting · 0 given up · 0 done\n`)
    out = ''
    r.event({ref: 'acme/api#7', event: 'started', worker: 'pid 42'})
    expect(out).to.equal('')
    r.event({ref: 'acme/api#7', event: 'given-up', reason: 'no luck'})
    // Up two lines, clear, the event, then the board again below it.
    expect(out).to.equal(`\x1b[2A\x1b[Jacme/api#7: given up: no luck\n${rowLine(row, 80)}\n1 listed · 1 running · 0 waiting · 0 given up · 0 done\n`)
    out = ''
    r.board([{...row, state: 'given-up'}, {...row, ref: 'acme/api#8'}], {...tally, listed: 2})
    expect(out.startsWith('\x1b[2A\x1b[J')).to.equal(true)
    expect(out.split('\n')).to.have.length(4)
  })
})
