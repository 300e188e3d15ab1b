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

/** One forge: knows how to fetch an issue, and nothing else. */
export interface Forge {
  readonly kind: ForgeKind
  /** Host name, used in error messages. */
  readonly host: string
  getIssue(owner: string, repo: string, number: number): Promise<ForgeIssue>
  /** A cheap request to check the forge answers (for doctor). Resolves to a short description. */
  ping(): Promise<string>
}
