/** The OUTCOME column's words for what came of a branch. Pure. */
import type {ChecksState} from '../forges/types.js'
import type {WorkerOutcome} from './types.js'

const CHECK_MARK: Record<ChecksState, string> = {success: ' ✓', failure: ' ✗', pending: ' …', none: ''}

/**
 * One short phrase, most telling first: the pull request (merged, or its
 * state and checks), else how far the branch got (pushed, commits ahead).
 * The forge not answering makes it "unknown": without it, "pushed" could
 * hide a merged pull request. Pure.
 */
export function summarise(o: Omit<WorkerOutcome, 'summary'>): string {
  const pr = o.pull_request
  if (pr) {
    if (pr.state === 'merged') return `PR #${pr.number} merged`
    return `PR #${pr.number} ${pr.state}${pr.checks ? CHECK_MARK[pr.checks] : ''}`
  }
  if (o.forge_error !== null) return 'unknown'
  if (o.pushed === 'up-to-date') return 'pushed'
  if (o.pushed === 'out-of-date') return 'pushed, out of date'
  if (o.ahead === null) return o.pushed === 'absent' ? 'no branch' : 'unknown'
  return o.ahead === 0 ? 'no commits' : `${o.ahead} ahead`
}
