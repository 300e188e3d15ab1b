import type {ForgeKind} from '../issue-ref.js'
import type {FailedCheck, ReviewNote} from './loop.js'

export type {FailedCheck, ReviewNote} from './loop.js'

/** An issue as dispatch needs it, normalised across forges. */
export interface ForgeIssue {
  forge: ForgeKind
  /** Canonical owner and repository as the forge reports them now (after transfers/renames). */
  owner: string
  repo: string
  number: number
  title: string
  body: string
  /** Lower-cased state as reported, e.g. "open" or "closed"; "" when the forge gave none. */
  state: string
  /** Web URL of the issue. */
  url: string
  /** API URL of the issue, for agents that read it with curl (Forgejo). */
  apiUrl: string
  isPullRequest: boolean
  /** Web base of the forge host, for clone commands. */
  webBase: string
}

/** An issue as a list endpoint shows it: enough to dispatch it, which fetches it again. */
export interface ListedIssue {
  number: number
  title: string
}

/** One forge: fetches an issue, lists open issues by label, answers a ping, and finds the pull requests and checks of a worker's branch. */
export interface Forge extends PullRequestForge {
  readonly kind: ForgeKind
  /** Host name, used in error messages. */
  readonly host: string
  getIssue(owner: string, repo: string, number: number): Promise<ForgeIssue>
  /**
   * Open issues (never pull requests) of a repository that carry `label`,
   * in the forge's order (newest first), at most `limit`, following pagination.
   */
  listOpenIssues(owner: string, repo: string, label: string, limit: number): Promise<ListedIssue[]>
  /** A cheap request to check the forge answers (for doctor). Resolves to a short description. */
  ping(): Promise<string>
}

/** How a pull request stands: open, open as a draft, merged, or closed without a merge. */
export type PullRequestState = 'open' | 'draft' | 'merged' | 'closed'

/**
 * The combined state of a commit's checks: any failed → failure; any still
 * running → pending; all passed → success; none reported → none.
 */
export type ChecksState = 'success' | 'failure' | 'pending' | 'none'

/** A pull request as dispatch needs it, normalised across forges. */
export interface ForgePullRequest {
  number: number
  /** Web URL. */
  url: string
  state: PullRequestState
  /** The commit the pull request's head branch pointed at (when merged: at the merge). */
  headSha: string
}

/** Pull requests and checks of a worker's branch (outcome tracking). */
export interface PullRequestForge {
  /**
   * The pull request whose head is `branch` of `owner/repo` (an open one before
   * a merged one before a closed one; newest first within each), or null when
   * there is none. `base` is the default branch (Forgejo's lookup needs it).
   * `signal` aborts early, on top of the forge's own timeout.
   */
  findPullRequest(owner: string, repo: string, branch: string, opts: {base?: string; signal?: AbortSignal}): Promise<ForgePullRequest | null>
  /** The combined state of the checks on commit `sha`. */
  checks(owner: string, repo: string, sha: string, opts: {signal?: AbortSignal}): Promise<ChecksState>
  /** dispatch watch: the combined state and every failed check of `sha`, with its output. */
  checkDetails(owner: string, repo: string, sha: string, opts: {signal?: AbortSignal}): Promise<{state: ChecksState; failed: FailedCheck[]}>
  /** dispatch watch: review feedback on pull request `number` since `since` (forges/loop.ts feedbackSince). */
  reviewNotes(owner: string, repo: string, number: number, opts: {since?: string; signal?: AbortSignal}): Promise<{changesRequested: boolean; notes: ReviewNote[]}>
  /** dispatch watch's tracker comment: made once, then edited in place. */
  createIssueComment(owner: string, repo: string, number: number, body: string, opts: {signal?: AbortSignal}): Promise<{id: number; url: string}>
  updateIssueComment(owner: string, repo: string, id: number, body: string, opts: {signal?: AbortSignal}): Promise<void>
}
