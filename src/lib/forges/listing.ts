/**
 * Listing open issues by label (fan-out, issue #14): what GitHub and Forgejo
 * share once a page is fetched. Pure.
 */
import {FailureError, UsageError} from '../errors.js'
import type {ListedIssue} from './types.js'

/** Page sizes: GitHub serves at most 100 a page, Forgejo 50 unless its admin raised MAX_RESPONSE_ITEMS. */
export const GITHUB_PAGE = 100
export const FORGEJO_PAGE = 50
/**
 * Pages read at most, whatever --limit says: GitHub's issue list mixes in pull
 * requests, so a repository busy with PRs may need several pages for a few
 * issues, but a forge that keeps saying "next" must not keep dispatch reading.
 */
export const MAX_PAGES = 20

/** What one listing request is about, for error messages. */
export function listingWhat(owner: string, repo: string, label: string): string {
  return `open issues labelled "${label}" in ${owner}/${repo}`
}

/**
 * One label, as the forges' `labels` filter reads it. Both split the filter
 * on commas, and they disagree on what several mean (GitHub: all of them;
 * Forgejo: any of them), so a comma is refused rather than guessed at.
 */
export function checkLabel(label: string): string {
  const trimmed = label.trim()
  if (trimmed === '') throw new UsageError('--label is empty.', 'Name one label, e.g. --label ready.')
  if (trimmed.includes(',')) {
    throw new UsageError(`--label takes one label, got "${trimmed}".`, 'The forges read a comma as several labels (GitHub: all of them, Forgejo: any of them); dispatch each label on its own.')
  }
  return trimmed
}

/** True when an RFC 8288 Link header (both forges send one) names a next page. */
export function hasNextPage(link: string | null | undefined): boolean {
  if (!link) return false
  return link.split(',').some((part) => /;\s*rel="?([^"]*\s)?next(\s[^"]*)?"?\s*(;|$)/i.test(part))
}

/**
 * The issues of one page: pull requests left out (GitHub lists them among
 * issues), and anything that does not carry the label left out too, so a forge
 * that ignored the filter cannot fan out over every open issue.
 */
export function issuesOfPage(host: string, what: string, data: unknown, label: string): ListedIssue[] {
  if (!Array.isArray(data)) throw new FailureError(`${host} returned ${what} as something other than a list.`, 'Is the configured apiUrl pointing at the forge you mean?')
  const out: ListedIssue[] = []
  for (const item of data as Array<Record<string, unknown>>) {
    if (item === null || typeof item !== 'object') continue
    if (item.pull_request !== undefined && item.pull_request !== null) continue
    if (typeof item.state === 'string' && item.state.toLowerCase() !== 'open') continue
    const labels = Array.isArray(item.labels) ? item.labels : []
    const names = labels.map((l) => (typeof l === 'string' ? l : typeof (l as {name?: unknown})?.name === 'string' ? (l as {name: string}).name : ''))
    if (!names.some((n) => n.toLowerCase() === label.toLowerCase())) continue
    const n = item.number
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new FailureError(`${host} listed an issue without a valid number in ${what}.`, 'Is the configured apiUrl pointing at the forge you mean?')
    out.push({number: n, title: String(item.title ?? '')})
  }
  return out
}
