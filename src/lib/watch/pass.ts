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
import {CheckoutFacts} from '../outcome/local.js'
import {isActive, recordKey, workerLabel, type SidequestRecord} from '../registry/index.js'
import type {DispatchOptions} from '../dispatch/types.js'
import {attemptOf, decide, roundOf, type BranchFacts} from './decide.js'
import type {WorkerEnd} from './ending.js'
import {branchFacts, endOf, refParts, silentMs, stopRun} from './follow.js'
import {loopForge} from './forge.js'
import {gatherIssues, mergeListings, type Issue, type Say} from './issues.js'
import type {IssueRow, Reporter, Tally} from './report.js'
import {rowOf, stateOf, tallyOf} from './rows.js'
import type {WatchSettings} from './settings.js'
import {listSources, type SourceListing} from './sources.js'
import type {Starter} from './start.js'
import {startIssues} from './starts.js'
import {applyVerdict, updateTracker} from './verdicts.js'

export interface WatchMemory {
  ends: Map<string, WorkerEnd>
  /** The last event said per ref and kind, so a pass repeats nothing that did not change. */
  said: Map<string, string>
  /** No forge traffic before then: a forge's rate limit, until the reset it named. */
  forgeHold?: Date
  /** What each issue's tracker comment last said (a signature; edited on a change only); kept in <stateDir>/watch-tracker.json. */
  states: Map<string, string>
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

export async function runPass(d: PassDeps): Promise<PassResult> {
  const {ctx, settings, memory} = d
  const now = ctx.now()
  const say: Say = (e, once, key = `${e.ref}:${e.event}`) => {
    if (once !== undefined) {
      if (memory.said.get(key) === once) return
      memory.said.set(key, once)
    }
    d.report.event(e)
  }
  const held = memory.forgeHold && memory.forgeHold > now ? memory.forgeHold : undefined
  const listings: SourceListing[] = held ? settings.sources.map((source) => ({source, error: 'rate limited', resetAt: held})) : await listSources(ctx, settings.sources)
  for (const l of listings) if (l.resetAt) memory.forgeHold = l.resetAt
  const listed = mergeListings(listings, say)
  const records = await ctx.registry().all()
  const issues = [...gatherIssues(listed, records).values()]

  for (const issue of issues) await reconcile(d, issue, now, say)
  const local = new CheckoutFacts(ctx.config.timeoutMs)
  await limit(issues, 4, (issue) => follow(d, issue, local, now, say))
  for (const issue of issues) {
    const a = issue.action!
    if (a.kind === 'give-up' || a.kind === 'done') issue.runs[issue.runs.length - 1] = await applyVerdict(d, issue.ref, issue.runs, a, issue.branch)
  }
  const started = await startIssues(d, issues, records, now, say)

  const rows = issues.map((i) => rowOf(i))
  if (settings.comment) await updateTracker(d, issues.map((i) => ({ref: i.ref, runs: i.runs, state: stateOf(i), pullRequest: i.branch?.pullRequest ?? null})))
  const spend = ctx.config.budget ? todaysSpend(await ctx.registry().all(), ctx.now()) : undefined
  const tally = tallyOf(rows, listed, spend ? spend.usd : null)
  d.report.event({ref: null, event: 'pass', ...tally, started})
  d.report.board(rows, tally)
  return {tally, rows, started}
}

/** Stop a watched worker that stalled or whose issue left the listing (its worktree is kept). */
async function reconcile(d: PassDeps, issue: Issue, now: Date, say: Say): Promise<void> {
  const last = issue.runs.at(-1)
  if (!last || !issue.active || !last.watched || !isActive(last)) return
  let why: 'stalled' | 'issue-closed' | 'unlabelled' | undefined
  if (issue.listed === false) why = 'unlabelled'
  const silent = why ? undefined : await silentMs(last, now)
  if (silent !== undefined && silent >= d.settings.stallMs) why = 'stalled'
  if (!why) return
  if (why === 'unlabelled') why = await closedOrUnlabelled(d.ctx, last)
  const after = await stopRun(d.ctx, last, why)
  if (why === 'stalled') say({ref: issue.ref, event: 'stalled', worker: workerLabel(last), silent_minutes: Math.round((silent ?? 0) / 60_000)})
  else say({ref: issue.ref, event: 'stopped', worker: workerLabel(last), reason: why})
  if (after) issue.runs[issue.runs.length - 1] = after
  issue.active = issue.runs.some((r) => isActive(r))
}

/** How the issue's last run ended and what came of its branch (asked again only after RECHECK_MS); then the decision. */
async function follow(d: PassDeps, issue: Issue, local: CheckoutFacts, now: Date, say: Say): Promise<void> {
  const {ctx, memory, settings} = d
  const last = issue.runs.at(-1)
  // A given-up chain's end is still read (quietly, once per process): a usage limit it ended on holds every start.
  if (last && !issue.active && last.given_up && !last.watch_done) issue.end = await endOf(last, now, memory.ends)
  if (last && !issue.active && !last.given_up && !last.watch_done) {
    const end = await endOf(last, now, memory.ends)
    issue.end = end
    say({ref: issue.ref, event: 'ended', worker: workerLabel(last), end: end.kind, detail: end.detail, exit_code: last.exit_code ?? null, cost_usd: last.cost_usd ?? null, attempt: attemptOf(last), round: roundOf(last)}, recordKey(last))
    const seen = memory.branches.get(recordKey(last))
    const hold = memory.forgeHold && memory.forgeHold > now
    if (end.kind === 'completed' && seen && seen.listed === issue.listed && now.getTime() - seen.at < Math.max(RECHECK_MS, settings.intervalMs)) {
      issue.branch = seen.facts
    } else if (end.kind === 'completed' && !hold) {
      const facts = await branchFacts(ctx, last, local)
      if (facts.resetAt) memory.forgeHold = facts.resetAt
      if (!facts.forgeError) memory.branches.set(recordKey(last), {facts, at: now.getTime(), listed: issue.listed})
      issue.branch = facts
      const pr = facts.pullRequest
      if (pr) say({ref: issue.ref, event: 'pull-request', number: pr.number, url: pr.url, state: pr.state, checks: facts.checks?.state ?? null}, `${pr.number}:${pr.state}:${facts.checks?.state}:${facts.reviews?.notes.length ?? 0}`)
    }
  }
  issue.action = decide({ref: issue.ref, listed: issue.listed, runs: issue.runs, active: issue.active, end: issue.end, branch: issue.branch}, settings, ctx.config.landing)
}

async function closedOrUnlabelled(ctx: DispatchContext, r: SidequestRecord): Promise<'issue-closed' | 'unlabelled'> {
  const parts = refParts(r.ref)
  if (!parts) return 'unlabelled'
  try {
    const issue = await (await loopForge(ctx.forges, r.forge))?.getIssue(parts.owner, parts.repo, parts.number)
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
