/**
 * One pass of the loop: list the sources, reconcile the running workers
 * (stalled, or their issue left the listing), follow every run that ended to
 * a decision (decide.ts), then start what may start, oldest first, within
 * the slots, the daily budget and any usage-limit hold. Everything it knows
 * comes from the registry and the forge; `memory` only spares repeated work
 * (log reads, unchanged events) and is empty again after a restart.
 */
import {todaysSpend} from '../budget.js'
import type {DispatchContext} from '../context.js'
import type {DispatchOptions} from '../dispatch/types.js'
import {errorMessage, PolicyError} from '../errors.js'
import {CheckoutFacts} from '../outcome/local.js'
import {isActive, recordKey, workerLabel, type SidequestRecord} from '../registry/index.js'
import {attemptOf, decide, roundOf, type Action, type BranchFacts, type IssueState, type StartAction} from './decide.js'
import type {WorkerEnd} from './ending.js'
import {branchFacts, endOf, silentMs, stopRun} from './follow.js'
import {continuationPrompt} from './prompts.js'
import type {IssueRow, Reporter, Tally, WatchEvent} from './report.js'
import type {WatchSettings} from './settings.js'
import {listSources, sourceKey, type ListedIssue, type SourceListing} from './sources.js'
import type {Starter, StartedRun} from './start.js'
import {applyVerdict, updateTracker} from './verdicts.js'

export interface WatchMemory {
  ends: Map<string, WorkerEnd>
  /** The last event said per ref and kind, so a pass repeats nothing that did not change. */
  said: Map<string, string>
  /** Per forge host kind: no forge traffic before then (its rate limit). */
  forgeHold?: Date
  /** The last state shown per ref (tracker comments are edited on a change only); kept in <stateDir>/watch-tracker.json. */
  states: Map<string, IssueState>
  /** watch-tracker.json was read into `states`. */
  trackerLoaded?: boolean
  /** What the forge said of a waiting pull request (by run), and when: asked again only after RECHECK_MS or when the listing changed. */
  branches: Map<string, {facts: BranchFacts; at: number; listed: boolean | undefined}>
}

/** A pull request waiting for review or checks is asked about again after this long (the listing tells a merge sooner: it closes the issue). */
export const RECHECK_MS = 5 * 60_000

export function newMemory(): WatchMemory {
  return {ends: new Map(), said: new Map(), states: new Map(), branches: new Map()}
}

export interface PassDeps {
  ctx: DispatchContext
  settings: WatchSettings
  /** The dispatch options every run gets (the command's flags). */
  base: Omit<DispatchOptions, 'ref'>
  start: Starter
  report: Reporter
  memory: WatchMemory
  /** Set once the loop is asked to stop: no further start. */
  stopping: () => boolean
}

export interface PassResult {
  tally: Tally
  rows: IssueRow[]
  started: number
}

interface Issue {
  ref: string
  input: string
  listed: boolean | undefined
  runs: SidequestRecord[]
  active: boolean
  action?: Action
  branch?: BranchFacts
  end?: WorkerEnd
}

export async function runPass(d: PassDeps): Promise<PassResult> {
  const {ctx, settings, memory} = d
  const now = ctx.now()
  /** `once`: said again only when it changed since `key` (default: the ref and the event) was last said. */
  const say = (e: WatchEvent, once?: string, key = `${e.ref}:${e.event}`) => {
    if (once !== undefined) {
      if (memory.said.get(key) === once) return
      memory.said.set(key, once)
    }
    d.report.event(e)
  }
  const held = memory.forgeHold && memory.forgeHold > now ? memory.forgeHold : undefined
  const listings: SourceListing[] = held ? settings.sources.map((source) => ({source, error: 'rate limited', resetAt: held})) : await listSources(ctx, settings.sources)
  const listedBySource = new Map<string, Map<string, ListedIssue> | undefined>()
  for (const l of listings) {
    if (l.resetAt) memory.forgeHold = l.resetAt
    // Once per source (each has its own key: two failing sources would else take turns and repeat every pass); a rate
    // limit once with its reset, as the passes it holds back say nothing new (their own text is only "rate limited").
    if (l.error) say({ref: null, event: 'error', message: `could not list ${l.source.owner}/${l.source.repo} (label ${l.source.label}): ${l.error}`, ...(l.resetAt ? {until: l.resetAt.toISOString()} : {})}, l.resetAt ? `rate limited until ${l.resetAt.toISOString()}` : l.error, `source ${l.source.owner}/${l.source.repo}:${l.source.label}:error`)
    const key = sourceKey(l.source.owner, l.source.repo)
    const known = listedBySource.get(key)
    if (!l.issues) {
      listedBySource.set(key, undefined)
      continue
    }
    // Two labels on one repository: listed under either.
    if (listedBySource.has(key) && known === undefined) continue
    const map = known ?? new Map<string, ListedIssue>()
    for (const i of l.issues) map.set(i.ref.toLowerCase(), i)
    listedBySource.set(key, map)
  }

  const records = await ctx.registry().all()
  const byRef = new Map<string, SidequestRecord[]>()
  for (const r of records) {
    const k = r.ref.toLowerCase()
    if (!byRef.has(k)) byRef.set(k, [])
    byRef.get(k)!.push(r)
  }
  const issues = new Map<string, Issue>()
  for (const [key, listed] of listedBySource) {
    for (const i of listed?.values() ?? []) issues.set(i.ref.toLowerCase(), {ref: i.ref, input: i.input, listed: true, runs: [], active: false})
    // Runs of this repository's issues that left the listing still need following (a merge to reap, a worker to stop).
    for (const [ref, runs] of byRef) {
      if (issues.has(ref) || !ref.startsWith(`${key}#`)) continue
      const last = runs.at(-1)!
      if (!last.watched || last.given_up || last.watch_done) continue
      issues.set(ref, {ref: last.ref, input: last.url || last.ref, listed: listed ? false : undefined, runs: [], active: false})
    }
  }
  for (const issue of issues.values()) {
    issue.runs = (byRef.get(issue.ref.toLowerCase()) ?? []).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
    issue.active = issue.runs.some((r) => isActive(r))
  }

  // Reconcile: stop watched workers that stalled or whose issue left the listing.
  for (const issue of issues.values()) {
    const last = issue.runs.at(-1)
    if (!last || !issue.active || !last.watched || !isActive(last)) continue
    let why: 'stalled' | 'issue-closed' | 'unlabelled' | undefined
    if (issue.listed === false) why = 'unlabelled'
    const silent = why ? undefined : await silentMs(last, now)
    if (silent !== undefined && silent >= settings.stallMs) why = 'stalled'
    if (!why) continue
    if (why === 'unlabelled') why = await closedOrUnlabelled(ctx, last)
    const after = await stopRun(ctx, last, why)
    if (why === 'stalled') say({ref: issue.ref, event: 'stalled', worker: workerLabel(last), silent_minutes: Math.round((silent ?? 0) / 60_000)})
    else say({ref: issue.ref, event: 'stopped', worker: workerLabel(last), reason: why})
    if (after) issue.runs[issue.runs.length - 1] = after
    issue.active = issue.runs.some((r) => isActive(r))
  }

  // Follow: how each last run ended and what came of it; then decide.
  const local = new CheckoutFacts(ctx.config.timeoutMs)
  const followed = [...issues.values()]
  await limit(followed, 4, async (issue) => {
    const last = issue.runs.at(-1)
    if (last && !issue.active && !last.given_up && !last.watch_done) {
      issue.end = await endOf(last, now, memory.ends)
      const endKey = `${issue.ref}:ended`
      if (!memory.said.has(endKey) || memory.said.get(endKey) !== recordKey(last)) {
        memory.said.set(endKey, recordKey(last))
        d.report.event({ref: issue.ref, event: 'ended', worker: workerLabel(last), end: issue.end.kind, detail: issue.end.detail, exit_code: last.exit_code ?? null, cost_usd: last.cost_usd ?? null, attempt: attemptOf(last), round: roundOf(last)})
      }
      const seen = memory.branches.get(recordKey(last))
      if (issue.end.kind === 'completed' && seen && seen.listed === issue.listed && now.getTime() - seen.at < Math.max(RECHECK_MS, settings.intervalMs)) {
        issue.branch = seen.facts
      } else if (issue.end.kind === 'completed' && !(memory.forgeHold && memory.forgeHold > now)) {
        const facts = await branchFacts(ctx, last, local)
        if (facts.resetAt) memory.forgeHold = facts.resetAt
        if (!facts.forgeError) memory.branches.set(recordKey(last), {facts, at: now.getTime(), listed: issue.listed})
        issue.branch = facts
        const pr = facts.pullRequest
        if (pr) say({ref: issue.ref, event: 'pull-request', number: pr.number, url: pr.url, state: pr.state, checks: facts.checks?.state ?? null}, `${pr.number}:${pr.state}:${facts.checks?.state}:${facts.reviews?.notes.length ?? 0}`)
      }
    }
    issue.action = decide({ref: issue.ref, listed: issue.listed, runs: issue.runs, active: issue.active, end: issue.end, branch: issue.branch}, settings, ctx.config.landing)
  })

  for (const issue of followed) {
    const a = issue.action!
    if (a.kind === 'give-up' || a.kind === 'done') issue.runs[issue.runs.length - 1] = await applyVerdict(d, issue.ref, issue.runs, a, issue.branch)
  }

  // Start: retries and rounds first (their worktree is waiting), then new issues, oldest first.
  const startable = followed.filter((i) => i.action?.kind === 'start') as Array<Issue & {action: StartAction}>
  startable.sort((x, y) => Number(Boolean(y.action.continues)) - Number(Boolean(x.action.continues)) || issueNumber(x.ref) - issueNumber(y.ref))
  const hold = startable.map((i) => i.action).find((a) => a.holdAll && a.notBefore && a.notBefore > now)
  let activeWatched = records.filter((r) => r.watched && isActive(r)).length
  let stopReason: {reason: string; detail?: string; until?: string} | undefined = hold ? {reason: 'usage-limit', until: hold.notBefore!.toISOString(), detail: 'a usage limit holds every new start until it resets'} : undefined
  const launched: Array<{issue: Issue; run: StartedRun}> = []
  for (const issue of startable) {
    const a = issue.action
    if (d.stopping()) break
    if (a.notBefore && a.notBefore > now && !stopReason) {
      say({ref: issue.ref, event: 'waiting', reason: a.holdAll ? 'usage-limit' : 'backoff', until: a.notBefore.toISOString()}, a.notBefore.toISOString())
      continue
    }
    if (!stopReason && activeWatched >= settings.maxActive) stopReason = {reason: 'slots', detail: `${activeWatched} of watch.maxActive ${settings.maxActive} workers are active`}
    if (stopReason) {
      say({ref: issue.ref, event: 'waiting', ...stopReason}, stopReason.reason)
      continue
    }
    try {
      const run = await d.start(optionsFor(d, issue, a))
      activeWatched++
      launched.push({issue, run})
      memory.said.delete(`${issue.ref}:waiting`)
      const kind = a.continues ? 'resumed' : 'started'
      d.report.event({ref: issue.ref, event: kind, worker: workerLabel(run.record), pid: run.record.pid, job_id: run.record.job_id ?? null, attempt: a.attempt, round: a.round, ...(a.continues ? {reason: a.reason, continues: recordKey(a.continues), session: a.continues.claude_session_id ?? null} : {}), branch: run.record.branch, cwd: run.record.cwd})
      issue.runs.push(run.record)
      issue.active = true
      ;(issue as Issue).action = {kind: 'wait', state: 'running', why: 'running'}
    } catch (error) {
      const reason = error instanceof PolicyError ? (error as PolicyError & {reason?: string}).reason : undefined
      if (reason === 'budget') {
        stopReason = {reason: 'budget', detail: error instanceof Error ? error.message : String(error)}
        say({ref: issue.ref, event: 'waiting', ...stopReason}, 'budget')
      } else if (reason === 'duplicate' || reason === 'claims' || reason === 'capacity' || reason === 'worktree') {
        // Another worker holds what this one needs: it waits, it is not refused.
        say({ref: issue.ref, event: 'waiting', reason: reason === 'capacity' ? 'slots' : 'claims', detail: errorMessage(error)}, `${reason}:${errorMessage(error)}`)
        if (reason === 'capacity') stopReason = {reason: 'slots', detail: errorMessage(error)}
      } else {
        say({ref: issue.ref, event: 'error', message: errorMessage(error)}, errorMessage(error))
      }
    }
  }
  // The health windows overlap: wait once for every run started this pass.
  await Promise.all(
    launched.map(async ({issue, run}) => {
      try {
        const ok = await run.healthy
        issue.runs[issue.runs.length - 1] = ok.record
      } catch (error) {
        say({ref: issue.ref, event: 'error', message: `the run failed at start: ${errorMessage(error)}`})
        issue.active = false
      }
    }),
  )

  const rows = followed.map((i) => rowOf(i))
  if (settings.comment) await updateTracker(d, followed.map((i) => ({ref: i.ref, runs: i.runs, state: stateOf(i), pullRequest: i.branch?.pullRequest ?? null, reason: i.action?.kind === 'wait' ? undefined : undefined})))
  const spend = ctx.config.budget ? todaysSpend(await ctx.registry().all(), ctx.now()) : undefined
  const tally: Tally = {
    listed: [...listedBySource.values()].reduce((n, m) => n + (m?.size ?? 0), 0),
    running: rows.filter((r) => r.state === 'running').length,
    waiting: rows.filter((r) => ['new', 'retrying', 'checks-pending', 'in-review', 'unknown'].includes(r.state)).length,
    given_up: rows.filter((r) => r.state === 'given-up').length,
    done: rows.filter((r) => r.state === 'merged' || r.state === 'closed').length,
    spent_today_usd: spend ? spend.usd : null,
  }
  d.report.event({ref: null, event: 'pass', ...tally, started: launched.length})
  d.report.board(rows, tally)
  return {tally, rows, started: launched.length}
}

function issueNumber(ref: string): number {
  return Number(ref.slice(ref.lastIndexOf('#') + 1))
}

function optionsFor(d: PassDeps, issue: Issue, a: StartAction): DispatchOptions {
  const last = a.continues
  const opts: DispatchOptions = {...d.base, ref: issue.input, watched: true} as DispatchOptions
  const trackerCommentId = [...issue.runs].reverse().find((r) => r.tracker_comment_id)?.tracker_comment_id ?? null
  opts.continuation = {
    sessionId: last?.claude_session_id ?? null,
    prompt: last ? continuationPrompt(a, issue.ref, last.branch, issue.branch) : '',
    attempt: a.attempt,
    round: a.round,
    continues: last ? recordKey(last) : null,
    reason: a.reason,
    trackerCommentId,
  }
  return opts
}

function stateOf(i: Issue): IssueState {
  const a = i.action
  if (!a) return 'unknown'
  if (a.kind === 'wait') return a.state
  if (a.kind === 'give-up') return 'given-up'
  if (a.kind === 'done') return a.how
  return a.continues ? 'retrying' : 'new'
}

function rowOf(i: Issue): IssueRow {
  const last = i.runs.at(-1)
  const pr = i.branch?.pullRequest
  return {
    ref: i.ref,
    state: stateOf(i),
    attempt: attemptOf(last),
    round: roundOf(last),
    worker: last ? workerLabel(last) : null,
    pullRequest: pr ? `PR #${pr.number}${i.branch?.checks?.state === 'failure' ? ' ✗' : i.branch?.checks?.state === 'success' ? ' ✓' : ''}` : null,
    costUsd: i.runs.reduce((n, r) => n + (r.cost_usd ?? 0), 0),
    ...(last?.given_up ? {note: last.given_up} : {}),
  }
}

async function closedOrUnlabelled(ctx: DispatchContext, r: SidequestRecord): Promise<'issue-closed' | 'unlabelled'> {
  const m = /^([^/#\s]+)\/([^/#\s]+)#(\d+)$/.exec(r.ref)
  if (!m) return 'unlabelled'
  try {
    const forge = r.forge === 'forgejo' ? ctx.forges.forgejo() : await ctx.forges.github()
    const issue = await forge?.getIssue(m[1], m[2], Number(m[3]))
    return issue && issue.state !== 'open' ? 'issue-closed' : 'unlabelled'
  } catch {
    return 'unlabelled'
  }
}

async function limit<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(n, items.length)}, async () => {
      while (next < items.length) await fn(items[next++])
    }),
  )
}
