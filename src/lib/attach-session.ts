/**
 * `dispatch attach` as a worker of its own (SPEC §6, §7): the resumed
 * session gets a registry record like any interactive session, after the
 * same checks against active workers (one worker per worktree, one per ref,
 * claims, maxActive), decided and written under the dispatch lock.
 */
import path from 'node:path'

import {slotFor} from './bootstrap/slots.js'
import {startingRecords} from './bootstrap/starting.js'
import type {Config} from './config/index.js'
import {admit} from './dispatch/admit.js'
import type {DispatchPlan} from './dispatch/types.js'
import {PolicyError} from './errors.js'
import {startSession} from './interactive/session.js'
import type {SandboxSpec} from './sandbox/layout.js'
import {dispatchLockPath, withLock} from './lock.js'
import {SCHEMA_VERSION, recordRepo, workerLabel, type Registry, type SidequestRecord} from './registry/index.js'
import {shellQuote} from './shell.js'

/** Who stops a worker, in a fix line. */
const stopLine = (r: SidequestRecord) => (r.runner === 'slurm' && r.job_id ? `dispatch stop ${shellQuote(r.ref)}` : `dispatch stop --pid ${r.pid}`)

/**
 * May the stopped worker `r` be resumed beside the `active` ones? Throws a
 * PolicyError (exit 3) naming the worker in the way and how to stop it. Pure.
 */
export function attachAdmission(active: readonly SidequestRecord[], r: SidequestRecord, maxActive: number): void {
  const sharer = active.find((a) => path.resolve(a.cwd) === path.resolve(r.cwd))
  if (sharer) {
    throw new PolicyError(
      `The worker ${workerLabel(sharer)} (${sharer.ref}, ${sharer.mode}) already runs in the worktree ${r.cwd}; two workers must not share one working tree.`,
      `Stop it first: ${stopLine(sharer)}`,
    )
  }
  const dup = active.find((a) => a.ref.toLowerCase() === r.ref.toLowerCase())
  if (dup) throw new PolicyError(`${r.ref} already has an active worker (${workerLabel(dup)}, ${dup.mode}, started ${dup.started_at}).`, `Stop it first: ${stopLine(dup)}`)
  // Claims, maxActive: the rules every dispatch follows, over the stopped worker's own claims.
  const checkout = r.checkout ?? r.cwd
  const repo = recordRepo(r)
  const plan: Pick<DispatchPlan, 'issue' | 'repo' | 'claims' | 'claimRoots' | 'checkout' | 'worktree'> = {
    issue: {ref: r.ref} as DispatchPlan['issue'],
    repo,
    claims: r.paths_claimed.filter((c) => !path.isAbsolute(c)),
    claimRoots: [{dir: checkout, repo}],
    checkout: {dir: checkout} as DispatchPlan['checkout'],
    worktree: {action: 'reuse', path: r.cwd} as DispatchPlan['worktree'],
  }
  admit(active, plan, maxActive, false)
}

/** The record of an attach session: the stopped worker's issue, worktree and claims, as an interactive session. Pure. */
export function attachedRecord(r: SidequestRecord, now: Date, slot: {index: number; port: number}): Omit<SidequestRecord, 'pid' | 'pid_start_time'> {
  return {
    schema_version: SCHEMA_VERSION,
    mode: 'interactive',
    ref: r.ref,
    forge: r.forge,
    url: r.url,
    title: r.title,
    started_at: now.toISOString(),
    parent_session: r.parent_session,
    paths_claimed: [...r.paths_claimed],
    ...(r.repo ? {repo: r.repo} : {}),
    cwd: r.cwd,
    branch: r.branch,
    log_path: null,
    cascade_depth: 0,
    claude_session_id: r.claude_session_id,
    ...(r.checkout ? {checkout: r.checkout} : {}),
    worker_index: slot.index,
    port: slot.port,
    runner: 'local',
    attached_from: r.pid,
  }
}

/** The workers a resumed session must not collide with: active ones and dispatches still starting. */
async function activeWorkers(registry: Registry, stateDir: string): Promise<SidequestRecord[]> {
  return [...(await registry.active()), ...(await startingRecords(stateDir))]
}

/** The admission check without the lock, so a refusal is said before anything else (runAttached checks again under it). */
export async function checkAttach(registry: Registry, config: Pick<Config, 'stateDir' | 'maxActive'>, record: SidequestRecord): Promise<void> {
  attachAdmission(await activeWorkers(registry, config.stateDir), record, config.maxActive)
}

export interface AttachInput {
  registry: Registry
  config: Pick<Config, 'stateDir' | 'maxActive' | 'worktree'>
  record: SidequestRecord
  claudeBin: string
  args: string[]
  env: NodeJS.ProcessEnv
  /** Run claude confined (attach --sandbox, or the config's). */
  sandbox?: SandboxSpec
  now: Date
}

/**
 * Check, write the record and run claude in this terminal; resolves with
 * claude's exit code. The dispatch lock is held until the record is on disk,
 * so a dispatch at the same moment sees it.
 */
export async function runAttached(input: AttachInput): Promise<{record: SidequestRecord; exited: Promise<number>}> {
  const {config, record} = input
  return withLock(dispatchLockPath(config.stateDir), async () => {
    const active = await activeWorkers(input.registry, config.stateDir)
    attachAdmission(active, record, config.maxActive)
    const repo = recordRepo(record)
    // The index it had, when no other worker took it meanwhile.
    const taken = active.some((a) => a.worker_index === record.worker_index)
    const slot = typeof record.worker_index === 'number' && typeof record.port === 'number' && !taken ? {index: record.worker_index, port: record.port} : slotFor(active, repo, config.worktree)
    const env = {...input.env, DISPATCH_WORKER_INDEX: String(slot.index), DISPATCH_PORT: String(slot.port)}
    const session = startSession({claudeBin: input.claudeBin, args: input.args, prompt: '', inheritStdin: true, cwd: record.cwd, env, sandbox: input.sandbox, stateDir: config.stateDir, record: attachedRecord(record, input.now, slot)}, input.registry)
    return {record: await session.started, exited: session.exited}
  })
}
