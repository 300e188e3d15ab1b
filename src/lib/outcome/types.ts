import type {ChecksState, PullRequestState} from '../forges/types.js'

export type {ChecksState, PullRequestState} from '../forges/types.js'

/** The pull request of a worker's branch, as `status --json` reports it. */
export interface OutcomePullRequest {
  number: number
  url: string
  /** open, draft, merged, or closed (without a merge). */
  state: PullRequestState
  /** The commit the pull request's head pointed at (for a merged one: when it was merged). */
  head_sha: string
  /** Combined state of its checks; null when not looked up (merged or closed pull requests) or the forge did not say. */
  checks: ChecksState | null
}

/**
 * What came of a finished worker's branch (`status`'s OUTCOME column and the
 * `outcome` key of `status --json`). Every part is null when it could not be
 * told; `forge_error` says why the forge's part is missing.
 */
export interface WorkerOutcome {
  branch: string
  /** Commits on the branch that the default branch does not have; null when git could not tell (checkout or branch gone). */
  ahead: number | null
  /**
   * The branch on origin: `absent`, `up-to-date` (the same commit as the local
   * branch), `out-of-date` (another commit: unpushed work, or pushed from
   * elsewhere); null when origin could not be asked or there is no local branch to compare.
   */
  pushed: 'absent' | 'up-to-date' | 'out-of-date' | null
  /** The pull request whose head is the branch; null when there is none or the forge could not be asked. */
  pull_request: OutcomePullRequest | null
  /** Why the forge could not be asked (down, slow, refused, not configured); null when it answered. */
  forge_error: string | null
  /** The OUTCOME column: "PR #7 open ✓", "PR #7 draft ✗", "merged", "pushed", "3 ahead", "unknown". */
  summary: string
}
