import {expect} from 'chai'

import {budgetLine, describeSpend, localDay, overBudget, todaysSpend} from '../../src/lib/budget.js'
import type {SidequestRecord} from '../../src/lib/registry/index.js'
import {record} from '../support/dispatch-facts.js'

describe('budget: today\'s spend (pure)', () => {
  // Local times, so the table holds in any TZ the suite runs in.
  const now = new Date(2026, 11, 4, 15, 30)
  const at = (day: number, h: number, m = 0) => new Date(2026, 11, day, h, m).toISOString()
  const running = new Set([7])
  const alive = (r: SidequestRecord) => running.has(r.pid)

  it('the local day runs from local midnight to the next', () => {
    const {start, end} = localDay(now)
    expect([start.getHours(), start.getMinutes(), start.getDate()]).to.deep.equal([0, 0, 4])
    expect([end.getHours(), end.getDate()]).to.deep.equal([0, 5])
  })

  const table: Array<[string, Array<Partial<SidequestRecord>>, {usd: number; workers: number; running: number}]> = [
    ['no records', [], {usd: 0, workers: 0, running: 0}],
    ['ended workers started today sum their cost', [{pid: 1, started_at: at(4, 9), cost_usd: 1.25, ended_at: at(4, 10)}, {pid: 2, started_at: at(4, 0, 0), cost_usd: 2.5}], {usd: 3.75, workers: 2, running: 0}],
    ['yesterday (one minute before midnight) and tomorrow do not count', [{pid: 1, started_at: at(3, 23, 59), cost_usd: 100}, {pid: 2, started_at: at(5, 0, 0), cost_usd: 100}], {usd: 0, workers: 0, running: 0}],
    ['a running worker counts 0 and is said to be running', [{pid: 7, started_at: at(4, 15), cost_usd: null}, {pid: 3, started_at: at(4, 8), cost_usd: 4}], {usd: 4, workers: 2, running: 1}],
    ['an ended worker without a cost counts 0 and is not running', [{pid: 8, started_at: at(4, 15), ended_at: at(4, 15, 5)}], {usd: 0, workers: 1, running: 0}],
    ['a cost that is not a positive number counts 0', [{pid: 9, started_at: at(4, 1), cost_usd: -5}, {pid: 10, started_at: at(4, 1), cost_usd: 'x' as never}], {usd: 0, workers: 2, running: 0}],
  ]
  for (const [name, rows, want] of table) {
    it(name, () => {
      expect(todaysSpend(rows.map(record), now, alive)).to.deep.equal(want)
    })
  }

  it('describes the spend, and when it reaches the cap', () => {
    expect(describeSpend({usd: 3, workers: 1, running: 0})).to.equal('spent so far $3.00 by 1 worker started today')
    expect(describeSpend({usd: 3, workers: 4, running: 2})).to.equal('spent so far $3.00 by 4 workers started today; 2 still running are not counted yet')
    expect(overBudget({usd: 0.1 + 0.2, workers: 2, running: 0}, 0.3)).to.equal(true)
    expect(overBudget({usd: 9.99, workers: 2, running: 0}, 10)).to.equal(false)
    expect(budgetLine({usd: 12, workers: 3, running: 1}, 10)).to.equal('today $12.00 of budget.dailyUsd $10.00 (spent so far $12.00 by 3 workers started today; 1 still running is not counted yet): reached, new starts are refused until tomorrow')
  })
})
