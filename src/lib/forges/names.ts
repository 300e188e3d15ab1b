import {PolicyError} from '../errors.js'
import {isValidName} from '../issue-ref.js'

/**
 * Names a forge reports are checked like names a person types (SPEC §2):
 * they become paths, branch names and records, so a forge that answers with
 * `..`, `a/b`, `x.git`, `%2e%2e` or look-alike letters is refused before any
 * of that is built. A forge is trusted for facts, not for file names.
 */

export interface Reporter {
  /** Host that answered, for the message. */
  host: string
  /** What was asked for, e.g. `issue acme/api#12`. */
  what: string
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
  return JSON.stringify(text.length > 200 ? text.slice(0, 200) + '…' : text)
}

/** The refusal for a forge answer whose names dispatch will not use. */
export function refusedName(r: Reporter, field: string, value: unknown, why = 'which is not a valid owner/repository name'): PolicyError {
  return new PolicyError(
    `${r.host} answered ${r.what} with ${field} ${shown(value)}, ${why}; refusing to use it.`,
    'A forge should never report such a name: check that the configured apiUrl points at the forge you mean, and tell its administrators.',
  )
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** The path segments of `url` after `prefix` (compared case-insensitively on the raw text), query and fragment dropped. */
function segmentsAfter(url: string, prefix: string): string[] | undefined {
  const p = prefix.endsWith('/') ? prefix : prefix + '/'
  if (url.length <= p.length || url.slice(0, p.length).toLowerCase() !== p.toLowerCase()) return undefined
  return url.slice(p.length).replace(/[?#].*$/s, '').replace(/\/$/, '').split('/').map(decode)
}

/** owner and repo, each checked against the typed-ref grammar; otherwise a PolicyError naming the field. */
export function checkedRepo(r: Reporter, field: string, value: unknown, owner: unknown, repo: unknown): {owner: string; repo: string} {
  if (typeof owner !== 'string' || typeof repo !== 'string' || !isValidName(owner) || !isValidName(repo)) throw refusedName(r, field, value)
  return {owner, repo}
}

/** GitHub's `repository_url`: exactly `<apiUrl>/repos/<owner>/<repo>`. */
export function repoFromApiUrl(r: Reporter, url: string, apiUrl: string): {owner: string; repo: string} {
  const segments = segmentsAfter(url, `${apiUrl.replace(/\/+$/, '')}/repos/`)
  if (!segments) throw refusedName(r, 'repository_url', url, `which is not under ${apiUrl}/repos/`)
  if (segments.length !== 2) throw refusedName(r, 'repository_url', url)
  return checkedRepo(r, 'repository_url', url, segments[0], segments[1])
}

/**
 * The web URL as reported, when it names the same repository (its
 * last four path segments are owner/repo/issues|pull|pulls/N); absent, the
 * one built from the web base. The host is not compared: a Forgejo reached
 * under another name than its ROOT_URL reports that.
 */
export function checkedWebUrl(r: Reporter, reported: unknown, canonical: {owner: string; repo: string}, fallback: string): string {
  if (reported === undefined || reported === null || reported === '') return fallback
  if (typeof reported !== 'string' || !/^https?:\/\/[^/]+\//i.test(reported)) throw refusedName(r, 'html_url', reported, 'which is not an http(s) URL')
  const segments = reported.replace(/[?#].*$/s, '').split('/').map(decode)
  const [owner, repo, kind, number] = segments.slice(-4)
  const same =
    segments.length >= 7 &&
    typeof owner === 'string' &&
    isValidName(owner) &&
    isValidName(repo) &&
    owner.toLowerCase() === canonical.owner.toLowerCase() &&
    repo.toLowerCase() === canonical.repo.toLowerCase() &&
    ['issues', 'pull', 'pulls'].includes(kind) &&
    /^[1-9][0-9]*$/.test(number)
  if (!same) throw refusedName(r, 'html_url', reported, `which does not name an issue of ${canonical.owner}/${canonical.repo}`)
  return reported
}

/** The issue number as reported (a transfer can change it): a positive integer, or the one asked for when absent. */
export function checkedNumber(r: Reporter, reported: unknown, asked: number): number {
  if (reported === undefined || reported === null) return asked
  if (typeof reported !== 'number' || !Number.isSafeInteger(reported) || reported < 1) throw refusedName(r, 'number', reported, 'which is not a positive issue number')
  return reported
}
