import {SCHEMA_VERSION, type SidequestRecord} from '../registry/index.js'
import type {DispatchPlan} from './types.js'

/** The registry record of a planned worker, minus what only the started process knows (pid, start time). Pure. */
export function baseRecord(plan: DispatchPlan, startedAt: Date, log: string | null): Omit<SidequestRecord, 'pid' | 'pid_start_time'> {
  return {
    schema_version: SCHEMA_VERSION,
    mode: plan.mode,
    ref: plan.issue.ref,
    forge: plan.issue.forge,
    url: plan.issue.url,
    title: plan.issue.title,
    started_at: startedAt.toISOString(),
    parent_session: plan.parentSession,
    paths_claimed: [...plan.claims],
    repo: plan.repo,
    cwd: plan.cwd,
    branch: plan.branch,
    log_path: log,
    cascade_depth: plan.cascadeDepth,
    claude_session_id: null,
    checkout: plan.checkout.dir,
    worker_index: plan.slot.index,
    port: plan.slot.port,
    runner: plan.runner,
    claude_args: [...plan.args],
    ...(plan.issue.forgeFallback ? {forge_fallback: true} : {}),
    ...chainKeys(plan),
  }
}

/** dispatch watch's keys: which attempt and round of the issue's chain this run is, and the run it goes on from. Pure. */
function chainKeys(plan: DispatchPlan): Partial<SidequestRecord> {
  const c = plan.continuation
  if (!c && !plan.watched) return {}
  return {
    ...(plan.watched ? {watched: true} : {}),
    attempt: c?.attempt ?? 1,
    round: c?.round ?? 0,
    continues: c?.continues ?? null,
    continuation: c?.reason ?? null,
    ...(c?.trackerCommentId ? {tracker_comment_id: c.trackerCommentId} : {}),
  }
}
