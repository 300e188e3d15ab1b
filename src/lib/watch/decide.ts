/**
 * What watch does next about one issue, from its runs (the registry), how
 * the last one ended and what the forge says of its pull request. Pure: the
 * pass gathers the facts, this decides, the pass applies. Nothing here is
 * remembered between passes; restarting watch decides the same.
 */
import type {ChecksState, PullRequestState} from '../forges/types.js'
import type {SidequestRecord} from '../registry/index.js'
import type {WorkerEnd} from './ending.js'
import type {WatchSettings} from './settings.js'

/** A failed check as the forge reports it (GitHub check run or commit status, Forgejo status). */
export interface FailedCheckFact {
  name: string
  conclusion: string
  title: string | null
  summary: string | null
  text: string | null
  url: string | null
}

/** A review or review comment since the run started. */
export interface ReviewFact {
  kind: 'review' | 'comment'
  author: string
  state: string | null
  body: string
  path: string | null
  line: number | null
  at: string
}

/** What the branch and the forge say about a run that completed. */
export interface BranchFacts {
  /** Commits on the branch the default branch lacks; null: git could not tell. */
  ahead: number | null
  pullRequest: {number: number; url: string; state: PullRequestState; headSha: string} | null
  checks?: {state: ChecksState; failed: FailedCheckFact[]}
  reviews?: {changesRequested: boolean; notes: ReviewFact[]}
  /** The forge could not be asked; nothing is decided on a guess. */
  forgeError?: string
}

export interface IssueFacts {
  ref: string
  /** Open and labelled in this pass's listing; undefined when its source could not be listed. */
  listed: boolean | undefined
  /** Every run of the issue, oldest first. */
  runs: readonly SidequestRecord[]
  /** Whether the last run is still active. */
  active: boolean
  /** How the last run ended (when it has). */
  end?: WorkerEnd
  /** The branch's outcome, when the last run completed. */
  branch?: BranchFacts
}

export type ContinuationReason = 'retry' | 'nudge' | 'checks' | 'review'

export interface StartAction {
  kind: 'start'
  attempt: number
  round: number
  /** The run this resumes; absent for a chain's first run. */
  continues?: SidequestRecord
  reason: ContinuationReason | null
  /** Not before this time (back-off, a usage limit's reset). */
  notBefore?: Date
  /** A usage limit: hold every new start until then. */
  holdAll?: boolean
  /** What the resumed session is told. */
  what: string
}

/** Where an issue stands, as the live line and the tracker comment show it. */
export type IssueState = 'new' | 'running' | 'retrying' | 'checks-pending' | 'in-review' | 'given-up' | 'merged' | 'closed' | 'stopped' | 'unknown'

export type Action =
  | StartAction
  | {kind: 'wait'; state: IssueState; why: string}
  | {kind: 'give-up'; reason: string}
  | {kind: 'done'; how: 'merged' | 'closed'}

/** 10 s doubling per attempt, capped at 5 minutes. */
export function backoffMs(attempt: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempt - 1), 300_000)
}

const RETRIED = new Set(['crashed', 'killed', 'stalled', 'api-error', 'rate-limit', 'usage-limit', 'closed-issue'])

export function attemptOf(r: SidequestRecord | undefined): number {
  return r?.attempt ?? 1
}

export function roundOf(r: SidequestRecord | undefined): number {
  return r?.round ?? 0
}

export function decide(f: IssueFacts, s: Pick<WatchSettings, 'maxAttempts' | 'maxRounds'>, landing: 'pr' | 'merge' | 'none' = 'pr'): Action {
  const last = f.runs.at(-1)
  if (!last) return f.listed ? {kind: 'start', attempt: 1, round: 0, reason: null, what: 'first run'} : {kind: 'wait', state: 'unknown', why: 'not listed'}
  if (last.given_up) return {kind: 'wait', state: 'given-up', why: last.given_up}
  if (last.watch_done) return {kind: 'wait', state: last.watch_done, why: last.watch_done === 'merged' ? 'pull request merged' : 'pull request closed unmerged'}
  if (f.active) return {kind: 'wait', state: 'running', why: 'running'}
  const end = f.end
  if (!end) return {kind: 'wait', state: 'unknown', why: 'how the last run ended is not known yet'}
  const attempt = attemptOf(last)
  const round = roundOf(last)
  if (end.kind === 'stopped') return {kind: 'wait', state: 'stopped', why: 'stopped by the operator; dispatch it by hand to go on'}
  if (end.kind === 'closed-issue') {
    // Stopped because the issue left the listing: it goes on only once it is back.
    if (!f.listed) return {kind: 'wait', state: 'stopped', why: 'the issue is closed or lost its label'}
    return {kind: 'start', attempt, round, continues: last, reason: 'retry', what: 'The issue is open and labelled again; carry on where you stopped.'}
  }
  if (RETRIED.has(end.kind)) {
    if (attempt >= s.maxAttempts) return {kind: 'give-up', reason: `the worker ${describeEnd(end)} on attempt ${attempt} of ${s.maxAttempts}`}
    const ended = Date.parse(last.ended_at ?? last.started_at)
    if (end.kind === 'usage-limit' && end.resetAt) {
      return {kind: 'start', attempt: attempt + 1, round, continues: last, reason: 'retry', notBefore: new Date(end.resetAt), holdAll: true, what: `Your previous run stopped at a usage limit (${end.detail}).`}
    }
    return {kind: 'start', attempt: attempt + 1, round, continues: last, reason: 'retry', notBefore: new Date(ended + backoffMs(attempt)), what: `Your previous run ${describeEnd(end)}.`}
  }
  // The run completed: what came of its branch decides.
  const b = f.branch
  if (!b) return {kind: 'wait', state: 'unknown', why: 'the branch was not looked at yet'}
  if (b.forgeError) return {kind: 'wait', state: 'unknown', why: `the forge could not be asked: ${b.forgeError}`}
  const pr = b.pullRequest
  if (pr?.state === 'merged') return {kind: 'done', how: 'merged'}
  if (pr?.state === 'closed') return {kind: 'done', how: 'closed'}
  if (!pr) {
    if (f.listed === false) return {kind: 'done', how: 'closed'}
    if (landing !== 'pr' && (b.ahead ?? 0) > 0) return {kind: 'done', how: 'merged'}
    const missing = (b.ahead ?? 0) === 0 ? 'no commits on the branch' : 'no pull request for the branch'
    if (last.continuation === 'nudge') return {kind: 'give-up', reason: `the worker ended twice with ${missing}`}
    return {kind: 'start', attempt, round, continues: last, reason: 'nudge', what: missing}
  }
  // Closed or unlabelled: no new round (its worker would be stopped by the next pass); a merge still ends it.
  const feedback = b.checks?.state === 'failure' || b.reviews?.changesRequested || (b.reviews?.notes.length ?? 0) > 0
  if (feedback && f.listed === false) return {kind: 'wait', state: 'stopped', why: `PR #${pr.number} has feedback, but the issue is closed or lost its label`}
  if (b.checks?.state === 'failure') {
    if (round >= s.maxRounds) return {kind: 'give-up', reason: `checks still fail after ${round} round${round === 1 ? '' : 's'} (watch.maxRounds ${s.maxRounds})`}
    return {kind: 'start', attempt: 1, round: round + 1, continues: last, reason: 'checks', what: `${b.checks.failed.length} failed check${b.checks.failed.length === 1 ? '' : 's'}`}
  }
  const notes = b.reviews?.notes ?? []
  if (b.reviews?.changesRequested || notes.length > 0) {
    if (round >= s.maxRounds) return {kind: 'give-up', reason: `review feedback still open after ${round} round${round === 1 ? '' : 's'} (watch.maxRounds ${s.maxRounds})`}
    return {kind: 'start', attempt: 1, round: round + 1, continues: last, reason: 'review', what: b.reviews?.changesRequested ? 'changes requested' : `${notes.length} new review comment${notes.length === 1 ? '' : 's'}`}
  }
  if (b.checks?.state === 'pending') return {kind: 'wait', state: 'checks-pending', why: `PR #${pr.number}: checks running`}
  return {kind: 'wait', state: 'in-review', why: `PR #${pr.number} waits for review or merge`}
}

export function describeEnd(end: WorkerEnd): string {
  const what: Record<string, string> = {
    crashed: 'crashed',
    killed: 'was killed',
    stalled: 'stalled (its log was silent too long) and was stopped',
    'api-error': 'ended on an API error',
    'rate-limit': 'hit a rate limit',
    'usage-limit': 'hit a usage limit',
    'closed-issue': 'was stopped because its issue left the listing',
    stopped: 'was stopped by the operator',
    completed: 'completed',
  }
  return `${what[end.kind] ?? end.kind}${end.detail ? ` (${end.detail})` : ''}`
}
