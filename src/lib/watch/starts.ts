/**
 * The start phase of a pass: continuations first (their worktree is
 * waiting), then new issues, oldest first, while watch.maxActive leaves
 * slots, no usage limit holds starts and the budget allows. A refusal
 * because another worker holds what this one needs is a wait, not an error.
 * The health windows of every run started overlap: waited for once, at the end.
 */
import type {DispatchOptions} from '../dispatch/types.js'
import {errorMessage, PolicyError} from '../errors.js'
import {isActive, recordKey, workerLabel, type SidequestRecord} from '../registry/index.js'
import type {StartAction} from './decide.js'
import {refParts} from './follow.js'
import type {Issue, Say} from './issues.js'
import type {PassDeps} from './pass.js'
import {continuationPrompt} from './prompts.js'
import type {StartedRun} from './start.js'
import {trackerCommentId} from './tracker.js'

type Startable = Issue & {action: StartAction}
type Hold = {reason: string; detail?: string; until?: string}

/** Start what may start; resolves with the number of runs started once their health is known. */
export async function startIssues(d: PassDeps, issues: readonly Issue[], records: readonly SidequestRecord[], now: Date, say: Say): Promise<number> {
  const startable = issues.filter((i) => i.action?.kind === 'start') as Startable[]
  startable.sort((x, y) => Number(Boolean(y.action.continues)) - Number(Boolean(x.action.continues)) || (refParts(x.ref)?.number ?? 0) - (refParts(y.ref)?.number ?? 0))
  // A usage limit is the account's: any run that ended on one holds every start until its reset, given up or not.
  const resets = issues.flatMap((i) => (i.end?.kind === 'usage-limit' && i.end.resetAt && Date.parse(i.end.resetAt) > now.getTime() ? [i.end.resetAt] : [])).sort()
  let hold: Hold | undefined = resets.length > 0 ? {reason: 'usage-limit', until: new Date(resets.at(-1)!).toISOString(), detail: 'a usage limit holds every new start until it resets'} : undefined
  let active = records.filter((r) => r.watched && isActive(r)).length
  const launched: Array<{issue: Issue; run: StartedRun}> = []
  for (const issue of startable) {
    const a = issue.action
    if (d.stopping()) break
    if (a.notBefore && a.notBefore > now && !hold) {
      say({ref: issue.ref, event: 'waiting', reason: a.holdAll ? 'usage-limit' : 'backoff', until: a.notBefore.toISOString()}, a.notBefore.toISOString())
      continue
    }
    if (!hold && active >= d.settings.maxActive) hold = {reason: 'slots', detail: `${active} of watch.maxActive ${d.settings.maxActive} workers are active`}
    if (hold) {
      say({ref: issue.ref, event: 'waiting', ...hold}, hold.reason)
      continue
    }
    try {
      const run = await d.start(optionsFor(d, issue, a))
      active++
      launched.push({issue, run})
      d.memory.said.delete(`${issue.ref}:waiting`)
      d.report.event({ref: issue.ref, event: a.continues ? 'resumed' : 'started', worker: workerLabel(run.record), pid: run.record.pid, job_id: run.record.job_id ?? null, attempt: a.attempt, round: a.round, ...(a.continues ? {reason: a.reason, continues: recordKey(a.continues), session: a.continues.claude_session_id ?? null} : {}), branch: run.record.branch, cwd: run.record.cwd})
      issue.runs.push(run.record)
      issue.active = true
      // Started: what the board and the tracker show now (the issue is no longer one to start).
      ;(issue as Issue).action = {kind: 'wait', state: 'running', why: 'running'}
    } catch (error) {
      hold = refused(issue, error, say) ?? hold
    }
  }
  await Promise.all(
    launched.map(async ({issue, run}) => {
      try {
        issue.runs[issue.runs.length - 1] = (await run.healthy).record
      } catch (error) {
        say({ref: issue.ref, event: 'error', message: `the run failed at start: ${errorMessage(error)}`})
        issue.active = false
      }
    }),
  )
  return launched.length
}

/** Say why a start was refused; returns the hold it puts on the rest of the pass (the budget, the machine's maxActive). */
function refused(issue: Issue, error: unknown, say: Say): Hold | undefined {
  const reason = error instanceof PolicyError ? error.reason : undefined
  const message = errorMessage(error)
  if (reason === 'budget') {
    say({ref: issue.ref, event: 'waiting', reason: 'budget', detail: message}, 'budget')
    return {reason: 'budget', detail: message}
  }
  if (reason === 'duplicate' || reason === 'claims' || reason === 'capacity' || reason === 'worktree') {
    // Another worker holds what this one needs: it waits, it is not refused.
    say({ref: issue.ref, event: 'waiting', reason: reason === 'capacity' ? 'slots' : 'claims', detail: message}, `${reason}:${message}`)
    return reason === 'capacity' ? {reason: 'slots', detail: message} : undefined
  }
  say({ref: issue.ref, event: 'error', message}, message)
  return undefined
}

/** The dispatch options of one run: the command's, plus the chain it belongs to (and the session it resumes). */
function optionsFor(d: PassDeps, issue: Issue, a: StartAction): DispatchOptions {
  const last = a.continues
  return {
    ...d.base,
    ref: issue.input,
    watched: true,
    continuation: {
      sessionId: last?.claude_session_id ?? null,
      prompt: last ? continuationPrompt(a, issue.ref, last.branch, issue.branch) : '',
      attempt: a.attempt,
      round: a.round,
      continues: last ? recordKey(last) : null,
      reason: a.reason,
      trackerCommentId: trackerCommentId(issue.runs) ?? null,
    },
  }
}
