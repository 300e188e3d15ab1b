import {expect} from 'chai'

import {admit, admitSpend} from '../../../src/lib/dispatch/admit.js'
import {PolicyError} from '../../../src/lib/errors.js'
import type {SidequestRecord} from '../../../src/lib/registry/index.js'
import {issue, record} from '../../support/dispatch-facts.js'

describe('admit (pure)', () => {
  const plan = (claims: string[] = [], ref = 'acme/api#12', inPlace = false) => ({
    issue: {...issue, ref},
    repo: 'acme/api',
    claims,
    claimRoots: [{dir: '/ws/acme/api', repo: 'acme/api'}],
    checkout: {dir: '/ws/acme/api'} as never,
    worktree: (inPlace ? {action: 'in-place', path: '/ws/acme/api'} : {action: 'create', path: '/wt/acme/api/issue-12-fix'}) as never,
  })
  const table: Array<[string, SidequestRecord[], ReturnType<typeof plan>, {force?: boolean; max?: number}, RegExp | undefined]> = [
    ['no active worker', [], plan(), {}, undefined],
    ['a worker on the same ref, any case', [record({ref: 'ACME/api#12'})], plan(), {}, /already has an active worker \(pid 4242/],
    ['a worker on the same ref, with --force', [record({ref: 'acme/api#12'})], plan(), {force: true}, undefined],
    ['a claim inside an active claim', [record({paths_claimed: ['src']})], plan(['src/auth']), {}, /Claim src\/auth in acme\/api overlaps src \(ancestor\), claimed by pid 4242/],
    ['a claim containing an active claim', [record({paths_claimed: ['src/auth']})], plan(['src']), {}, /\(descendant\)/],
    ['the same path in another repository', [record({repo: 'acme/web', ref: 'acme/web#1', paths_claimed: ['src'], checkout: '/ws/acme/web', cwd: '/wt/acme/web/x'})], plan(['src']), {}, undefined],
    ['an overlapping claim with --force', [record({paths_claimed: ['src']})], plan(['src']), {force: true}, undefined],
    ['--no-worktree where another worker runs in the checkout, even with --force', [record({ref: 'acme/api#8', cwd: '/ws/acme/api/'})], plan([], 'acme/api#12', true), {force: true}, /pid 4242 \(acme\/api#8\) already runs in the checkout \/ws\/acme\/api; two workers must not share/],
    ['--no-worktree while other workers run in worktrees', [record({ref: 'acme/api#8'})], plan([], 'acme/api#12', true), {}, undefined],
    ['maxActive reached, even with --force', [record({}), record({pid: 4343, ref: 'acme/api#8'})], plan(), {force: true, max: 2}, /2 workers are active; maxActive is 2/],
  ]
  for (const [name, active, p, o, error] of table) {
    it(name, () => {
      const run = () => admit(active, p, o.max ?? 10, o.force ?? false)
      if (error) expect(run).to.throw(PolicyError, error)
      else expect(run).not.to.throw()
    })
  }

  // dispatch watch waits on a refusal another worker causes and gives up on none of them: each says which it is.
  const reasons: Array<[string, SidequestRecord[], ReturnType<typeof plan>, number, string]> = [
    ['duplicate', [record({ref: 'acme/api#12'})], plan(), 10, 'duplicate'],
    ['claims', [record({paths_claimed: ['src']})], plan(['src/auth']), 10, 'claims'],
    ['worktree', [record({ref: 'acme/api#8', cwd: '/ws/acme/api'})], plan([], 'acme/api#12', true), 10, 'worktree'],
    ['capacity', [record({pid: 4343, ref: 'acme/api#8'})], plan(), 1, 'capacity'],
  ]
  for (const [name, active, p, max, reason] of reasons) {
    it(`names the refusal's reason: ${name}`, () => {
      try {
        admit(active, p, max, false)
        expect.fail('not refused')
      } catch (error) {
        expect(error).to.be.instanceOf(PolicyError)
        expect((error as PolicyError).reason).to.equal(reason)
      }
    })
  }
})

describe('admitSpend (pure)', () => {
  const spend = (usd: number, running = 0) => ({usd, workers: 3, running})
  const table: Array<[string, ReturnType<typeof spend> | undefined, {dailyUsd: number} | undefined, RegExp | undefined]> = [
    ['no budget set', spend(1000), undefined, undefined],
    ['under the cap', spend(9.99), {dailyUsd: 10}, undefined],
    ['at the cap', spend(10), {dailyUsd: 10}, /Today's spend has reached the daily budget: \$10\.00 of budget\.dailyUsd \$10\.00 \(spent so far \$10\.00 by 3 workers started today\); no new worker/],
    ['over the cap, with running workers not counted', spend(12.5, 2), {dailyUsd: 10}, /\$12\.50 of budget\.dailyUsd \$10\.00 \(spent so far \$12\.50 by 3 workers started today; 2 still running are not counted yet\)/],
  ]
  for (const [name, s, budget, error] of table) {
    it(name, () => {
      const run = () => admitSpend(s, budget, '/etc/dispatch.yaml')
      if (error) expect(run).to.throw(PolicyError, error)
      else expect(run).not.to.throw()
    })
  }
  it('names the next step, and that --force does not lift it', () => {
    try {
      admitSpend(spend(10), {dailyUsd: 10}, '/etc/dispatch.yaml')
      expect.fail('not refused')
    } catch (error) {
      expect((error as PolicyError).reason).to.equal('budget')
      expect((error as PolicyError).suggestion).to.match(/^Raise budget\.dailyUsd in \/etc\/dispatch\.yaml, or wait until tomorrow \(the day is local time, TZ .+\)\. --force does not lift the budget\.$/)
    }
  })
})
