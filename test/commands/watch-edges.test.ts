// dispatch watch (issue #22) through the real binary: the ends of a chain the
// other watch tests leave out. A pull request closed unmerged ends it for good;
// an issue closed (or unlabelled) under a running worker stops it, and coming
// back resumes it; failed checks past watch.maxRounds give up; a worker the
// operator stopped is not retried. Passes are `watch --once`.
import {expect} from 'chai'
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {git, isAlive, runCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'
import {of, pass, passUntil, worktrees} from '../support/watch.js'

describe('dispatch watch: closed, stopped, relabelled, out of rounds (through the binary)', function () {
  this.timeout(300_000)
  const t = useForgeSandbox({repos: ['acme/api'], exitWaitMs: 15_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  let checkout: string
  const watchConfig = (watch: Record<string, unknown> = {}) => writeConfig(sb, {github: forge.github}, {watch: {sources: [{repo: 'acme/api', label: 'go'}], ...watch}})
  const script = (runs: Array<Record<string, string>>) => {
    const file = path.join(sb.dir, 'script.json')
    writeFileSync(file, JSON.stringify(runs))
    env = {...env, STANDIN_SCRIPT: file}
  }
  const runsOf = (ref: string) => records(sb).filter((r) => r.ref === ref).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
  const ended = (ref: string, n: number) => waitFor(`run ${n} of ${ref} to end`, () => runsOf(ref).length >= n && runsOf(ref)[n - 1].ended_at)
  const starts = (events: Array<Record<string, any>>) => of(events, 'started').concat(of(events, 'resumed'))
  const pullLookups = () => forge.requestsTo('/gh-api/repos/acme/api/pulls').length

  beforeEach(() => {
    ;({forge, sb, env} = t)
    checkout = t.checkouts['acme/api']
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'Fix the parser', labels: ['go']})
  })

  it('a pull request closed without a merge ends the chain: closed, never retried, the forge not asked again, the worktree kept', async () => {
    watchConfig()
    script([{STANDIN_COMMIT: '1'}, {}])
    await pass(env)
    await ended('acme/api#1', 1)
    const [r1] = runsOf('acme/api#1')
    forge.addPull({owner: 'acme', repo: 'api', number: 10, branch: r1.branch, headSha: git(checkout, 'rev-parse', r1.branch), state: 'closed'})
    const second = await pass(env)
    expect(of(second, 'pull-request', 'acme/api#1')[0]).to.include({number: 10, state: 'closed'})
    expect(of(second, 'closed', 'acme/api#1')[0]).to.include({number: 10, detail: 'PR #10 closed without a merge; not retried'})
    expect(starts(second)).to.deep.equal([])
    expect(runsOf('acme/api#1')[0].watch_done).to.equal('closed')
    expect(existsSync(r1.cwd), 'a closed pull request reaps nothing').to.equal(true)

    // The issue is still open and labelled: later passes know it is done from the record alone.
    const asked = pullLookups()
    for (let i = 0; i < 2; i++) {
      const later = await pass(env)
      expect(starts(later).concat(of(later, 'closed'), of(later, 'ended'))).to.deep.equal([])
      expect(of(later, 'pass')[0]).to.include({listed: 1, done: 1, running: 0, waiting: 0})
    }
    expect(pullLookups()).to.equal(asked)
    expect(records(sb)).to.have.length(1)
    expect(standIns(sb)).to.have.length(1)
  })

  for (const kind of ['github', 'forgejo'] as const) {
    it(`${kind}: closed or unlabelled under a running worker: stopped (issue-closed, unlabelled), kept, left alone while away; open and labelled again, resumed in its session`, async () => {
      if (kind === 'forgejo') {
        writeConfig(sb, {github: forge.github, forgejo: forge.forgejo}, {allowedOwners: ['forgejo:acme'], watch: {sources: [{repo: 'acme/api', label: 'go'}]}})
        forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 1, title: 'Fix the parser', labels: ['go']})
      } else {
        watchConfig()
      }
      forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 2, title: 'Second', labels: ['go']})
      // Every run replies, then works on until the test ends.
      env = {...env, STANDIN_HOLD_FILE: t.release}
      await pass(env)
      const [w1] = runsOf('acme/api#1')
      const [w2] = runsOf('acme/api#2')
      expect([w1.forge, w2.forge]).to.deep.equal([kind, kind])
      forge.updateIssue({forge: kind, owner: 'acme', repo: 'api', number: 1, state: 'closed'})
      forge.updateIssue({forge: kind, owner: 'acme', repo: 'api', number: 2, labels: ['later']})
      const away = await pass(env)
      expect(of(away, 'stopped', 'acme/api#1')[0]).to.include({reason: 'issue-closed', worker: `pid ${w1.pid}`})
      expect(of(away, 'stopped', 'acme/api#2')[0]).to.include({reason: 'unlabelled', worker: `pid ${w2.pid}`})
      expect(starts(away)).to.deep.equal([])
      await ended('acme/api#1', 1)
      await ended('acme/api#2', 1)
      for (const w of [w1, w2]) {
        expect(isAlive(w.pid), `worker ${w.ref}`).to.equal(false)
        expect(existsSync(w.cwd), `the worktree of ${w.ref}`).to.equal(true)
      }
      expect(runsOf('acme/api#1')[0]).to.include({watch_stop: 'issue-closed'})
      expect(runsOf('acme/api#2')[0]).to.include({watch_stop: 'unlabelled'})
      // While away: neither retried nor given up.
      const still = await pass(env)
      expect(starts(still).concat(of(still, 'given-up'))).to.deep.equal([])
      expect(records(sb)).to.have.length(2)

      forge.updateIssue({forge: kind, owner: 'acme', repo: 'api', number: 1, state: 'open'})
      forge.updateIssue({forge: kind, owner: 'acme', repo: 'api', number: 2, labels: ['go']})
      const back = await pass(env)
      // Not a failure: no back-off, and the attempt stays 1.
      const sessions = Object.fromEntries([w1, w2].map((w) => [w.ref, runsOf(w.ref)[0].claude_session_id]))
      for (const ref of ['acme/api#1', 'acme/api#2']) {
        expect(of(back, 'resumed', ref)[0], ref).to.include({reason: 'retry', attempt: 1, round: 0, session: sessions[ref]})
        const [first, second] = runsOf(ref)
        expect(second).to.include({continues: String(first.pid), continuation: 'retry', cwd: first.cwd, branch: first.branch})
        const claude = standIns(sb).find((s) => s.pid === second.pid)!
        expect(claude.argv.slice(claude.argv.indexOf('--resume'), claude.argv.indexOf('--resume') + 2)).to.deep.equal(['--resume', sessions[ref]])
        expect(claude.stdin).to.include('The issue is open and labelled again; carry on where you stopped.')
      }
    })
  }

  it('a run that commits but opens no pull request is nudged to open one, in its session', async () => {
    watchConfig()
    script([{STANDIN_COMMIT: '1'}, {}])
    await pass(env)
    await ended('acme/api#1', 1)
    const second = await pass(env)
    expect(of(second, 'resumed', 'acme/api#1')[0]).to.include({reason: 'nudge', attempt: 1, round: 0})
    const claude = standIns(sb).find((s) => s.pid === runsOf('acme/api#1')[1].pid)!
    expect(claude.stdin).to.include('the branch has commits but no pull request was opened for it').and.include('open the pull request')
    await ended('acme/api#1', 2)
    const third = await pass(env)
    expect(of(third, 'given-up', 'acme/api#1')[0].reason).to.equal('the worker ended twice with no pull request for the branch')
  })

  it('an issue that left the listing gets no new round: failed checks on its open pull request wait, a merge still ends it', async () => {
    watchConfig()
    script([{STANDIN_COMMIT: '1'}, {}])
    await pass(env)
    await ended('acme/api#1', 1)
    const [r1] = runsOf('acme/api#1')
    const tip = git(checkout, 'rev-parse', r1.branch)
    forge.addPull({owner: 'acme', repo: 'api', number: 10, branch: r1.branch, headSha: tip})
    forge.addCheckRun({owner: 'acme', repo: 'api', sha: tip, name: 'unit', conclusion: 'failure', output: {title: 'failed', summary: 'boom', text: null}})
    forge.updateIssue({owner: 'acme', repo: 'api', number: 1, labels: []})
    for (let i = 0; i < 2; i++) {
      const p = await pass(env)
      expect(starts(p), 'no round for an issue that lost its label').to.deep.equal([])
      expect(of(p, 'stopped').concat(of(p, 'given-up'))).to.deep.equal([])
    }
    expect(records(sb)).to.have.length(1)
    forge.updatePull({owner: 'acme', repo: 'api', number: 10, state: 'merged'})
    const merged = await pass(env)
    expect(of(merged, 'merged', 'acme/api#1')[0]).to.include({number: 10})
    expect(runsOf('acme/api#1')[0].watch_done).to.equal('merged')
  })

  it('failed checks past watch.maxRounds: given up with the round count, no further run', async () => {
    watchConfig({maxRounds: 1})
    script([{STANDIN_COMMIT: '1'}, {}])
    await pass(env)
    await ended('acme/api#1', 1)
    const [r1] = runsOf('acme/api#1')
    const tip = git(checkout, 'rev-parse', r1.branch)
    forge.addPull({owner: 'acme', repo: 'api', number: 10, branch: r1.branch, headSha: tip})
    forge.addCheckRun({owner: 'acme', repo: 'api', sha: tip, name: 'lint', conclusion: 'failure', output: {title: '2 problems', summary: 'no-unused-vars', text: 'src/a.ts:3 x is unused'}})
    const second = await pass(env)
    expect(of(second, 'resumed', 'acme/api#1')[0]).to.include({reason: 'checks', round: 1, attempt: 1})
    await ended('acme/api#1', 2)
    // The round pushed nothing new: the same head, the same failure.
    const third = await pass(env)
    expect(of(third, 'pull-request', 'acme/api#1')[0]).to.include({number: 10, checks: 'failure'})
    const gaveUp = of(third, 'given-up', 'acme/api#1')[0]
    expect(gaveUp).to.include({reason: 'checks still fail after 1 round (watch.maxRounds 1)', attempts: 1, rounds: 1})
    expect(starts(third)).to.deep.equal([])
    expect(runsOf('acme/api#1')[1].given_up).to.equal(gaveUp.reason)
    const fourth = await pass(env)
    expect(starts(fourth).concat(of(fourth, 'given-up'))).to.deep.equal([])
    expect(of(fourth, 'pass')[0]).to.include({given_up: 1})
    expect(records(sb)).to.have.length(2)
    expect(worktrees(sb)).to.have.length(1)
  })

  it('a worker killed by a signal (not by watch nor the operator) is resumed after the back-off; an issue closed under a run that landed nothing is done, not nudged', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, title: 'Second', labels: ['go']})
    watchConfig()
    const go2 = path.join(sb.dir, 'go-2')
    // #1's first run works on until killed; #2's ends once let go, with nothing on its branch; any later run holds.
    script([{STANDIN_HOLD_FILE: path.join(sb.dir, 'never')}, {STANDIN_HOLD_FILE: go2}, {STANDIN_HOLD_FILE: t.release}])
    await pass(env)
    const [w1] = runsOf('acme/api#1')
    process.kill(w1.pid, 'SIGKILL')
    forge.updateIssue({owner: 'acme', repo: 'api', number: 2, state: 'closed'})
    writeFileSync(go2, '')
    await ended('acme/api#1', 1)
    await ended('acme/api#2', 1)
    const seen = await passUntil(env, 'acme/api#1', 'resumed')
    expect(of(seen, 'ended', 'acme/api#1')[0]).to.include({end: 'killed', detail: 'signal SIGKILL'})
    expect(of(seen, 'resumed', 'acme/api#1')[0]).to.include({reason: 'retry', attempt: 2})
    const claude = standIns(sb).find((x) => x.pid === runsOf('acme/api#1')[1].pid)!
    expect(claude.stdin).to.include('Your previous run was killed (signal SIGKILL).')
    expect(of(seen, 'closed', 'acme/api#2')).to.have.length(1)
    expect(of(seen, 'closed', 'acme/api#2')[0]).to.include({detail: 'the issue was closed'})
    expect(starts(seen).map((e) => e.ref)).to.deep.equal(['acme/api#1'])
    expect(runsOf('acme/api#2')).to.have.length(1)
    expect(runsOf('acme/api#2')[0].watch_done).to.equal('closed')
  })

  it('a worker the operator stopped (dispatch stop) is not retried', async () => {
    watchConfig()
    env = {...env, STANDIN_HOLD_FILE: t.release}
    await pass(env)
    const [w] = runsOf('acme/api#1')
    const stop = await runCli(['stop', 'acme/api#1'], {env})
    expect(stop.code, stop.stderr).to.equal(0)
    await ended('acme/api#1', 1)
    expect(runsOf('acme/api#1')[0]).to.include({stopped: true})
    for (let i = 0; i < 2; i++) {
      const later = await pass(env)
      expect(of(later, 'ended', 'acme/api#1')[0]).to.include({end: 'stopped', worker: `pid ${w.pid}`})
      expect(starts(later).concat(of(later, 'given-up'))).to.deep.equal([])
    }
    expect(records(sb)).to.have.length(1)
    expect(existsSync(w.cwd)).to.equal(true)
  })
})
