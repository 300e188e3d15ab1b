/**
 * What dispatch watch reads from a pull request beyond its state: the failed
 * checks with their output, and review feedback since a time; both forges'
 * shapes (GitHub's REST as in @octokit/openapi-types, Forgejo's API v1)
 * turned into one. Pure.
 */
import {checkRunVerdict, commitStatusVerdict} from './pulls.js'

export interface FailedCheck {
  name: string
  source: 'check-run' | 'status'
  conclusion: string
  title: string | null
  summary: string | null
  text: string | null
  url: string | null
}

export interface ReviewNote {
  kind: 'review' | 'comment'
  author: string
  /** APPROVED, CHANGES_REQUESTED, COMMENTED… (Forgejo's REQUEST_CHANGES and COMMENT read as GitHub's words). */
  state: string | null
  body: string
  path: string | null
  line: number | null
  at: string
  url: string | null
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

/** GitHub check runs that failed (failure, timed_out, cancelled, action_required, startup_failure). */
export function failedCheckRuns(runs: unknown): FailedCheck[] {
  if (!Array.isArray(runs)) return []
  return (runs as Array<Record<string, unknown>>)
    .filter((r) => r && checkRunVerdict(r) === 'failure')
    .map((r) => {
      const out = (r.output ?? {}) as Record<string, unknown>
      return {name: str(r.name) ?? 'check', source: 'check-run', conclusion: str(r.conclusion) ?? 'failure', title: str(out.title), summary: str(out.summary), text: str(out.text), url: str(r.html_url) ?? str(r.details_url)}
    })
}

/** Commit statuses that failed (failure, error); Forgejo calls the field `status` where GitHub says `state`. */
export function failedStatuses(statuses: unknown): FailedCheck[] {
  if (!Array.isArray(statuses)) return []
  // The newest status per context speaks for it (both forges list the newest first).
  const seen = new Set<string>()
  const out: FailedCheck[] = []
  for (const s of statuses as Array<Record<string, unknown>>) {
    const name = str(s?.context) ?? 'status'
    if (seen.has(name)) continue
    seen.add(name)
    const state = s.status ?? s.state
    if (commitStatusVerdict(state) !== 'failure') continue
    out.push({name, source: 'status', conclusion: String(state), title: null, summary: str(s.description), text: null, url: str(s.target_url)})
  }
  return out
}

const STATES: Record<string, string> = {REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED'}

interface Review {
  id: number
  author: string
  state: string
  body: string
  at: string | null
  url: string | null
  dismissed: boolean
  comments: number
}

export function reviewsOf(data: unknown): Review[] {
  if (!Array.isArray(data)) return []
  return (data as Array<Record<string, unknown>>).filter((r) => r && typeof r.id === 'number').map((r) => {
    const state = String(r.state ?? '').toUpperCase()
    return {
      id: r.id as number,
      author: str((r.user as Record<string, unknown> | null)?.login) ?? 'someone',
      state: STATES[state] ?? state,
      body: typeof r.body === 'string' ? r.body : '',
      at: str(r.submitted_at),
      url: str(r.html_url),
      dismissed: r.dismissed === true || state === 'DISMISSED',
      comments: typeof r.comments_count === 'number' ? r.comments_count : 0,
    }
  })
}

export function commentNotes(data: unknown): ReviewNote[] {
  if (!Array.isArray(data)) return []
  return (data as Array<Record<string, unknown>>)
    .filter((c) => c && typeof c.body === 'string')
    .map((c) => ({
      kind: 'comment' as const,
      author: str((c.user as Record<string, unknown> | null)?.login) ?? 'someone',
      state: null,
      body: c.body as string,
      path: str(c.path),
      line: typeof c.line === 'number' ? c.line : typeof c.original_line === 'number' ? c.original_line : typeof c.position === 'number' && c.position > 0 ? c.position : null,
      at: str(c.created_at) ?? '',
      url: str(c.html_url),
    }))
}

/**
 * Feedback since `since`: changes requested when some reviewer's latest review
 * (pending and dismissed ones aside) requests them and came after `since`;
 * notes are the reviews with words and the inline comments after `since`, oldest first.
 */
export function feedbackSince(reviews: readonly Review[], comments: readonly ReviewNote[], since: string | undefined): {changesRequested: boolean; notes: ReviewNote[]} {
  const after = (at: string | null) => !since || (at !== null && Date.parse(at) > Date.parse(since))
  const latest = new Map<string, Review>()
  for (const r of reviews) {
    if (r.dismissed || r.state === 'PENDING' || r.state === 'COMMENTED' || !r.at) continue
    const had = latest.get(r.author)
    if (!had || Date.parse(r.at) >= Date.parse(had.at!)) latest.set(r.author, r)
  }
  const changesRequested = [...latest.values()].some((r) => r.state === 'CHANGES_REQUESTED' && after(r.at))
  const notes: ReviewNote[] = [
    ...reviews.filter((r) => !r.dismissed && r.state !== 'PENDING' && r.body.trim() && after(r.at)).map((r) => ({kind: 'review' as const, author: r.author, state: r.state, body: r.body, path: null, line: null, at: r.at ?? '', url: r.url})),
    ...comments.filter((c) => after(c.at)),
  ]
  notes.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  return {changesRequested, notes}
}
