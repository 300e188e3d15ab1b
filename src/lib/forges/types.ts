import type {ForgeKind} from '../issue-ref.js'

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

/** One forge: fetches an issue, lists open issues by label, answers a ping. */
export interface Forge {
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
