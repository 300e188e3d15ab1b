/**
 * Pull requests and checks, the parts both forges share: choosing the pull
 * request of a branch and folding check results into one state. Pure.
 */
import type {ChecksState, ForgePullRequest, PullRequestState} from './types.js'

const RANK: Record<PullRequestState, number> = {open: 0, draft: 0, merged: 1, closed: 2}

/**
 * The pull request that speaks for a branch: an open (or draft) one before a
 * merged one before one closed unmerged; among equals the first listed (both
 * forges list newest first). Pure.
 */
export function pickPullRequest(pulls: readonly ForgePullRequest[]): ForgePullRequest | null {
  let best: ForgePullRequest | null = null
  for (const p of pulls) if (!best || RANK[p.state] < RANK[best.state]) best = p
  return best
}

/** One check's verdict, or a commit status's state, as one word. */
export type CheckVerdict = 'success' | 'failure' | 'pending'

/**
 * A GitHub check run: still running until `completed`; then neutral and
 * skipped count as passing (GitHub's own merge box does the same), every
 * other conclusion (failure, cancelled, timed_out, action_required, stale,
 * startup_failure) as failing. Pure.
 */
export function checkRunVerdict(run: {status?: unknown; conclusion?: unknown}): CheckVerdict {
  if (run.status !== 'completed') return 'pending'
  return run.conclusion === 'success' || run.conclusion === 'neutral' || run.conclusion === 'skipped' ? 'success' : 'failure'
}

/**
 * A commit status state (GitHub: success, failure, error, pending; Forgejo
 * adds warning, which does not block a merge there, so it passes). Pure.
 */
export function commitStatusVerdict(state: unknown): CheckVerdict {
  if (state === 'success' || state === 'warning') return 'success'
  if (state === 'failure' || state === 'error') return 'failure'
  return 'pending'
}

/** Fold verdicts: any failure fails, else anything pending is pending, else success; nothing at all is none. Pure. */
export function combineChecks(verdicts: readonly CheckVerdict[]): ChecksState {
  if (verdicts.length === 0) return 'none'
  if (verdicts.includes('failure')) return 'failure'
  if (verdicts.includes('pending')) return 'pending'
  return 'success'
}
