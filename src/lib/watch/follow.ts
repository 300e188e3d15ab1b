/**
 * Following runs to their end: how a run ended (its record and log), what came
 * of its branch (git and the forge), and stopping a run that stalled or whose
 * issue left the listing. Forge questions are asked only about runs that
 * ended (and pull requests still waiting), a few at a time.
 */
import {stat} from 'node:fs/promises'

import type {DispatchContext} from '../context.js'
import {errorMessage} from '../errors.js'
import {CheckoutFacts} from '../outcome/local.js'
import {recordKey, type SidequestRecord} from '../registry/index.js'
import {stopWorkers} from '../stop.js'
import type {BranchFacts} from './decide.js'
import {readEnd, type WorkerEnd} from './ending.js'
import {loopForge, rateLimitReset} from './forge.js'

export function refParts(ref: string): {owner: string; repo: string; number: number} | undefined {
  const m = /^([^/#\s]+)\/([^/#\s]+)#(\d+)$/.exec(ref)
  return m ? {owner: m[1], repo: m[2], number: Number(m[3])} : undefined
}

/** How long a running worker's log has been silent; undefined when it cannot be told (a queued job, no log yet). */
export async function silentMs(r: SidequestRecord, now: Date): Promise<number | undefined> {
  if (r.runner === 'slurm' && (r.pid === 0 || r.job_state === 'PENDING')) return undefined
  const since = r.log_path ? await stat(r.log_path).then((s) => s.mtimeMs, () => undefined) : undefined
  const last = since ?? Date.parse(r.started_at)
  return Number.isFinite(last) ? now.getTime() - last : undefined
}

/** Mark why watch stops the run, then stop it (SIGINT first, so claude saves its session for the resume). */
export async function stopRun(ctx: DispatchContext, r: SidequestRecord, why: 'stalled' | 'issue-closed' | 'unlabelled'): Promise<SidequestRecord | undefined> {
  const registry = ctx.registry()
  await registry.update(recordKey(r), {watch_stop: why})
  // By pid where there is one: another worker on the issue (an operator's --force) is not watch's to stop.
  const target = r.runner === 'slurm' || r.pid <= 0 ? {ref: r.ref} : {pid: r.pid}
  await stopWorkers({registry, target, hosts: {githubWebUrl: ctx.config.github.webUrl, forgejoBaseUrl: ctx.config.forgejo?.baseUrl}, waitMs: 5000}).catch(() => [])
  return registry.get(recordKey(r))
}

export async function endOf(r: SidequestRecord, now: Date, cache: Map<string, WorkerEnd>): Promise<WorkerEnd> {
  const key = recordKey(r)
  const known = cache.get(key)
  if (known) return known
  const end = await readEnd(r, now)
  // A run whose end is not written yet (its supervisor is still writing it) is read again next time.
  if (r.ended_at) cache.set(key, end)
  return end
}

/** What the branch of a completed run came to: commits, pull request, failed checks and review feedback. */
export async function branchFacts(ctx: DispatchContext, r: SidequestRecord, local: CheckoutFacts): Promise<BranchFacts & {resetAt?: Date}> {
  const parts = refParts(r.ref)
  if (!parts || !r.branch) return {ahead: null, pullRequest: null, forgeError: 'the run has no branch on record'}
  const dir = r.checkout ?? r.cwd
  const ahead = await local.branch(dir, r.branch).then((f) => f.ahead, () => null)
  const signal = AbortSignal.timeout(ctx.config.timeoutMs)
  try {
    const forge = await loopForge(ctx.forges, r.forge)
    if (!forge) return {ahead, pullRequest: null, forgeError: `${r.forge} is not configured`}
    const base = r.forge === 'forgejo' ? ((await local.defaultBranch(dir))?.name ?? undefined) : undefined
    const pr = await forge.findPullRequest(parts.owner, parts.repo, r.branch, {base, signal})
    if (!pr) return {ahead, pullRequest: null}
    const pullRequest = {number: pr.number, url: pr.url, state: pr.state, headSha: pr.headSha}
    if (pr.state !== 'open' && pr.state !== 'draft') return {ahead, pullRequest}
    const checks = await forge.checkDetails(parts.owner, parts.repo, pr.headSha, {signal})
    // Failed checks come first: a review of code that does not pass waits for the next round; so does one of code still being checked.
    if (checks.state === 'failure' || checks.state === 'pending') return {ahead, pullRequest, checks}
    const reviews = await forge.reviewNotes(parts.owner, parts.repo, pr.number, {since: r.started_at, signal})
    return {ahead, pullRequest, checks, reviews}
  } catch (error) {
    return {ahead, pullRequest: null, forgeError: errorMessage(error), resetAt: rateLimitReset(error)}
  }
}
