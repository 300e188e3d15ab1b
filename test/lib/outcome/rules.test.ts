import {expect} from 'chai'

import {checkRunVerdict, combineChecks, commitStatusVerdict, pickPullRequest} from '../../../src/lib/forges/pulls.js'
import type {ForgePullRequest} from '../../../src/lib/forges/types.js'
import {forgeCouldVouch, forgeVerdict} from '../../../src/lib/outcome/reap-rule.js'
import {summarise} from '../../../src/lib/outcome/summary.js'
import type {OutcomePullRequest, WorkerOutcome} from '../../../src/lib/outcome/types.js'
import {decideReap, type WorktreeFacts} from '../../../src/lib/reap/index.js'
import {outcomeLines} from '../../../src/lib/views/workers.js'

const TIP = 'a'.repeat(40)
const OTHER = 'b'.repeat(40)
const pr = (state: OutcomePullRequest['state'], checks: OutcomePullRequest['checks'] = null, head = TIP): OutcomePullRequest => ({number: 7, url: 'https://forge/acme/api/pull/7', state, head_sha: head, checks})
const base: Omit<WorkerOutcome, 'summary'> = {branch: 'dispatch/issue-1-x', ahead: 3, pushed: 'absent', pull_request: null, forge_error: null}

describe('outcome rules (pure)', () => {
  describe('the OUTCOME column', () => {
    const cases: Array<[string, Partial<WorkerOutcome>, string]> = [
      ['open, checks passed', {pull_request: pr('open', 'success')}, 'PR #7 open ✓'],
      ['draft, checks failed', {pull_request: pr('draft', 'failure')}, 'PR #7 draft ✗'],
      ['open, checks running', {pull_request: pr('open', 'pending')}, 'PR #7 open …'],
      ['open, no checks', {pull_request: pr('open', 'none')}, 'PR #7 open'],
      ['open, checks not known', {pull_request: pr('open', null)}, 'PR #7 open'],
      ['merged', {pull_request: pr('merged')}, 'PR #7 merged'],
      ['closed', {pull_request: pr('closed')}, 'PR #7 closed'],
      ['forge down: unknown, whatever git says', {forge_error: 'Could not reach forge', pushed: 'up-to-date'}, 'unknown'],
      ['pushed, no pull request', {pushed: 'up-to-date'}, 'pushed'],
      ['pushed, then more commits', {pushed: 'out-of-date'}, 'pushed, out of date'],
      ['local commits only', {pushed: 'absent', ahead: 3}, '3 ahead'],
      ['no commits yet', {pushed: 'absent', ahead: 0}, 'no commits'],
      ['no branch anywhere', {pushed: 'absent', ahead: null}, 'no branch'],
      ['git could not tell', {pushed: null, ahead: null}, 'unknown'],
    ]
    for (const [name, o, want] of cases) it(name, () => expect(summarise({...base, ...o})).to.equal(want))
  })

  describe('checks fold into one state', () => {
    it('check runs: pending until completed; neutral and skipped pass; every other conclusion fails', () => {
      expect(checkRunVerdict({status: 'in_progress', conclusion: null})).to.equal('pending')
      expect(checkRunVerdict({status: 'queued'})).to.equal('pending')
      for (const c of ['success', 'neutral', 'skipped']) expect(checkRunVerdict({status: 'completed', conclusion: c}), c).to.equal('success')
      for (const c of ['failure', 'cancelled', 'timed_out', 'action_required', 'stale', 'startup_failure']) expect(checkRunVerdict({status: 'completed', conclusion: c}), c).to.equal('failure')
    })
    it('commit statuses: error fails, warning (Forgejo) passes, anything else waits', () => {
      expect(['success', 'warning', 'failure', 'error', 'pending', undefined].map(commitStatusVerdict)).to.deep.equal(['success', 'success', 'failure', 'failure', 'pending', 'pending'])
    })
    it('any failure fails, then pending, then success; nothing is none', () => {
      expect(combineChecks([])).to.equal('none')
      expect(combineChecks(['success', 'pending', 'failure'])).to.equal('failure')
      expect(combineChecks(['success', 'pending'])).to.equal('pending')
      expect(combineChecks(['success', 'success'])).to.equal('success')
    })
  })

  it('the pull request of a branch: open before merged before closed, first listed among equals', () => {
    const p = (number: number, state: ForgePullRequest['state']): ForgePullRequest => ({number, url: '', state, headSha: TIP})
    expect(pickPullRequest([])).to.equal(null)
    expect(pickPullRequest([p(3, 'closed'), p(2, 'merged'), p(1, 'open')])?.number).to.equal(1)
    expect(pickPullRequest([p(3, 'closed'), p(2, 'merged')])?.number).to.equal(2)
    expect(pickPullRequest([p(5, 'closed'), p(4, 'closed')])?.number).to.equal(5)
    expect(pickPullRequest([p(6, 'draft'), p(1, 'open')])?.number).to.equal(6)
  })

  describe("reap's forge rule", () => {
    const facts = (over: Partial<WorktreeFacts>): WorktreeFacts => ({
      registered: true,
      checkout: '/src/api',
      branch: 'dispatch/issue-1-x',
      dirty: false,
      unreachable: 2,
      defaultBranch: 'main',
      remotesFresh: true,
      merged: false,
      untouched: false,
      ...over,
    })
    const cases: Array<[string, Partial<WorktreeFacts>, 'remove' | 'keep', string | undefined, RegExp]> = [
      ['squash-merged, tip is the head: removed by the forge', {pullRequest: pr('merged'), tip: TIP}, 'remove', 'forge', /pull request #7 was merged with this branch tip \(aaaaaaaaaaaa\) as its head/],
      ['merged, then a commit added: kept, saying so', {pullRequest: pr('merged'), tip: OTHER}, 'keep', 'forge', /pull request #7 was merged at aaaaaaaaaaaa, but the branch is at bbbbbbbbbbbb/],
      ['merged, HEAD and branch disagree: kept', {pullRequest: pr('merged'), tip: undefined}, 'keep', 'forge', /the branch has moved/],
      ['open pull request: git decides (kept)', {pullRequest: pr('open'), tip: TIP}, 'keep', undefined, /2 commits not on main or any remote branch/],
      ['closed pull request: git decides (kept)', {pullRequest: pr('closed'), tip: TIP}, 'keep', undefined, /2 commits not on main/],
      ['forge not asked: git decides (kept)', {tip: TIP}, 'keep', undefined, /2 commits not on main/],
      ['dirty beats a merged pull request', {pullRequest: pr('merged'), tip: TIP, dirty: true}, 'keep', undefined, /uncommitted changes/],
      ['an active worker beats a merged pull request', {pullRequest: pr('merged'), tip: TIP, activeWorker: {pid: 42, ref: 'acme/api#1'}}, 'keep', undefined, /active worker pid 42/],
      ['everything reachable: git removes, the forge adds nothing', {pullRequest: pr('merged'), tip: TIP, unreachable: 0, merged: true}, 'remove', undefined, /merged into main/],
    ]
    for (const [name, over, verdict, rule, reason] of cases) {
      it(name, () => {
        const v = decideReap(facts(over))
        expect(v.verdict).to.equal(verdict)
        expect(v.rule).to.equal(rule)
        expect(v.reason).to.match(reason)
      })
    }
    it('asks the forge only for clean, registered dispatch worktrees git would keep for unplaced commits', () => {
      const f = {verdict: 'keep' as const, dirty: false, unreachable: 1, branch: 'dispatch/x', registered: true}
      expect(forgeCouldVouch(f)).to.equal(true)
      expect(forgeCouldVouch({...f, verdict: 'remove'})).to.equal(false)
      expect(forgeCouldVouch({...f, dirty: true})).to.equal(false)
      expect(forgeCouldVouch({...f, unreachable: 0})).to.equal(false)
      expect(forgeCouldVouch({...f, branch: 'feature/x'})).to.equal(false)
      expect(forgeCouldVouch({...f, branch: null})).to.equal(false)
      expect(forgeCouldVouch({...f, activeWorker: {pid: 1}})).to.equal(false)
      expect(forgeVerdict({unreachable: 1, branch: null, pullRequest: pr('merged'), tip: TIP})).to.equal(undefined)
    })
  })

  it("status REF's outcome block names the pull request, the branch, and why the forge is missing", () => {
    expect(outcomeLines({...base, pull_request: pr('draft', 'failure'), pushed: 'up-to-date', summary: 'PR #7 draft ✗'})).to.deep.equal([
      'outcome   PR #7 draft ✗',
      'pull req  #7 draft, checks failure: https://forge/acme/api/pull/7',
      '          3 commits ahead of the default branch; on origin, up to date',
    ])
    expect(outcomeLines({...base, ahead: null, pushed: null, forge_error: 'Could not reach 127.0.0.1:2', summary: 'unknown'})).to.deep.equal(['outcome   unknown', '          forge: Could not reach 127.0.0.1:2'])
  })
})
