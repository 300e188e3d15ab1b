/** Where each issue stands after a pass: its live line and the tally. Pure. */
import type {IssueState} from './decide.js'
import {attemptOf, roundOf} from './decide.js'
import type {Issue, Listed} from './issues.js'
import type {IssueRow, Tally} from './report.js'
import {workerLabel} from '../registry/index.js'

export function stateOf(i: Issue): IssueState {
  const a = i.action
  if (!a) return 'unknown'
  if (a.kind === 'wait') return a.state
  if (a.kind === 'give-up') return 'given-up'
  if (a.kind === 'done') return a.how
  return a.continues ? 'retrying' : 'new'
}

export function rowOf(i: Issue): IssueRow {
  const last = i.runs.at(-1)
  const pr = i.branch?.pullRequest
  const checks = i.branch?.checks?.state
  return {
    ref: i.ref,
    state: stateOf(i),
    attempt: attemptOf(last),
    round: roundOf(last),
    worker: last ? workerLabel(last) : null,
    pullRequest: pr ? `PR #${pr.number}${checks === 'failure' ? ' ✗' : checks === 'success' ? ' ✓' : ''}` : null,
    costUsd: i.runs.reduce((n, r) => n + (r.cost_usd ?? 0), 0),
    ...(last?.given_up ? {note: last.given_up} : {}),
  }
}

export function tallyOf(rows: readonly IssueRow[], listed: Listed, spentToday: number | null): Tally {
  return {
    listed: [...listed.values()].reduce((n, m) => n + (m?.size ?? 0), 0),
    running: rows.filter((r) => r.state === 'running').length,
    waiting: rows.filter((r) => ['new', 'retrying', 'checks-pending', 'in-review', 'unknown'].includes(r.state)).length,
    given_up: rows.filter((r) => r.state === 'given-up').length,
    done: rows.filter((r) => r.state === 'merged' || r.state === 'closed').length,
    spent_today_usd: spentToday,
  }
}
