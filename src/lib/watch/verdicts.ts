/**
 * Applying what decide.ts concluded about an issue for good: given up (said on
 * the terminal, in --json, to the notifiers and, with watch.comment, on the
 * issue), merged (its worktree reaped by the forge rule) or closed unmerged
 * (done, never retried). The verdict is written into the last run's record,
 * so a restarted watch reads it back.
 */
import {readFile, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {errorMessage} from '../errors.js'
import {notify} from '../notify.js'
import {askForgeForReap} from '../outcome/reap-forge.js'
import {reap} from '../reap/index.js'
import {recordKey, type SidequestRecord} from '../registry/index.js'
import {configuredCheckout} from '../workspace.js'
import type {Action, BranchFacts, IssueState} from './decide.js'
import {loopForge} from './forge.js'
import {refParts} from './follow.js'
import type {PassDeps} from './pass.js'
import {trackerBody, trackerCommentId} from './tracker.js'

export async function applyVerdict(d: PassDeps, ref: string, runs: readonly SidequestRecord[], a: Extract<Action, {kind: 'give-up' | 'done'}>, branch?: BranchFacts): Promise<SidequestRecord> {
  const {ctx} = d
  const last = runs.at(-1)!
  const registry = ctx.registry()
  if (a.kind === 'give-up') {
    const updated = (await registry.update(recordKey(last), {given_up: a.reason})) ?? {...last, given_up: a.reason}
    d.report.event({ref, event: 'given-up', reason: a.reason, attempts: last.attempt ?? 1, rounds: last.round ?? 0, worker: recordKey(last)})
    await notify(ctx.config.notify, {event: 'given_up', mode: last.mode, ref, title: last.title, url: last.url, cwd: last.cwd, pid: last.pid, reason: a.reason}, ctx.env, ctx.warn).catch(() => {})
    return updated
  }
  const pr = branch?.pullRequest
  if (a.how === 'merged') {
    const reaped = await reapIssue(d, ref)
    const updated = (await registry.update(recordKey(last), {watch_done: 'merged'})) ?? last
    d.report.event({ref, event: 'merged', number: pr?.number ?? null, url: pr?.url ?? null, reaped})
    return updated
  }
  const updated = (await registry.update(recordKey(last), {watch_done: 'closed'})) ?? last
  d.report.event({ref, event: 'closed', number: pr?.number ?? null, detail: pr ? `PR #${pr.number} closed without a merge; not retried` : 'the issue was closed'})
  return updated
}

/** Remove the issue's worktrees that hold no work, by reap's rules with the forge vouching for the merge. */
async function reapIssue(d: PassDeps, ref: string): Promise<boolean> {
  const {ctx} = d
  const parts = refParts(ref)
  if (!parts) return false
  const registry = ctx.registry()
  try {
    const entries = await reap({
      worktreeRoot: ctx.config.worktreeRoot,
      registry,
      stateDir: ctx.config.stateDir,
      dryRun: false,
      fetch: true,
      only: {owner: parts.owner, repo: parts.repo, issue: parts.number},
      askForge: askForgeForReap(ctx.config, ctx.forges, () => registry.all()),
      checkoutOf: (owner, repo) => configuredCheckout(ctx.config, owner, repo),
    })
    return entries.some((e) => e.action === 'removed')
  } catch (error) {
    d.report.event({ref, event: 'error', message: `could not reap its worktree: ${errorMessage(error)}`})
    return false
  }
}

/** Create or edit each issue's tracker comment where its state changed since the last pass. */
export async function updateTracker(d: PassDeps, items: Array<{ref: string; runs: SidequestRecord[]; state: IssueState; pullRequest: {number: number; url: string} | null; reason?: string}>): Promise<void> {
  const {ctx, memory} = d
  const file = path.join(ctx.config.stateDir, 'watch-tracker.json')
  if (!memory.trackerLoaded) {
    memory.trackerLoaded = true
    for (const [ref, said] of Object.entries(await readSaid(file))) if (!memory.states.has(ref)) memory.states.set(ref, said)
  }
  let changed = false
  for (const item of items) {
    const last = item.runs.at(-1)
    const parts = refParts(item.ref)
    // A comment is made when the first run starts: an issue with no run has nothing to say yet.
    if (!last || !parts || !last.watched) continue
    const signature = `${item.state}:${item.runs.length}:${item.pullRequest?.number ?? ''}:${last.cost_usd ?? ''}`
    if (memory.states.get(item.ref) === signature) continue
    const body = trackerBody({state: item.state, runs: item.runs, pullRequest: item.pullRequest, reason: last.given_up ?? item.reason, now: ctx.now()})
    try {
      const forge = await loopForge(ctx.forges, last.forge)
      if (!forge) continue
      const id = trackerCommentId(item.runs)
      const signal = AbortSignal.timeout(ctx.config.timeoutMs)
      if (id) {
        await forge.updateIssueComment(parts.owner, parts.repo, id, body, {signal})
      } else {
        const made = await forge.createIssueComment(parts.owner, parts.repo, parts.number, body, {signal})
        await ctx.registry().update(recordKey(last), {tracker_comment_id: made.id})
        last.tracker_comment_id = made.id
      }
      memory.states.set(item.ref, signature)
      changed = true
    } catch (error) {
      d.report.event({ref: item.ref, event: 'error', message: `could not update the tracker comment: ${errorMessage(error)}`}) 
    }
  }
  // Kept for the issues still followed: without it every `--once` run (a new process) edited every comment again.
  if (changed) await writeSaid(file, Object.fromEntries(items.filter((i) => memory.states.has(i.ref)).map((i) => [i.ref, memory.states.get(i.ref)!]))).catch(() => {})
}

/** What each tracker comment last said (its signature), by ref; {} when unreadable. */
async function readSaid(file: string): Promise<Record<string, string>> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {}
    return Object.fromEntries(Object.entries(v).filter(([, said]) => typeof said === 'string')) as Record<string, string>
  } catch {
    return {}
  }
}

async function writeSaid(file: string, said: Record<string, string>): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(said) + '\n', {mode: 0o600})
  await rename(tmp, file)
}
