import {PolicyError, UsageError} from './errors.js'

/** Which forge a reference names. A short ref names none; routing decides (SPEC §2). */
export type ForgeKind = 'github' | 'forgejo'

export interface IssueRef {
  owner: string
  repo: string
  number: number
  /** Set when the reference was a URL, which names its forge. */
  forge?: ForgeKind
}

/** Where web URLs may point; taken from config. */
export interface RefHosts {
  /** GitHub web base, e.g. https://github.com or a GitHub Enterprise URL. */
  githubWebUrl: string
  /** Forgejo web base, when configured. */
  forgejoBaseUrl?: string
}

const ACCEPTED_FORMS = [
  'owner/repo#N',
  'https://github.com/owner/repo/issues/N',
  '<forgejo.baseUrl>/owner/repo/issues/N',
]

const NAME = /^[A-Za-z0-9._-]{1,100}$/
const NUMBER = /^[1-9][0-9]{0,15}$/

/**
 * Owner and repository names follow GitHub's rules: letters, digits, `-`,
 * `_`, `.`; never `.` or `..` alone; never ending in `.git`.
 */
export function isValidName(name: string): boolean {
  return NAME.test(name) && name !== '.' && name !== '..' && !name.toLowerCase().endsWith('.git')
}

export function formatRef(ref: Pick<IssueRef, 'owner' | 'repo' | 'number'>): string {
  return `${ref.owner}/${ref.repo}#${ref.number}`
}

function usage(input: string, why: string): UsageError {
  const shown = JSON.stringify(input.length > 200 ? input.slice(0, 200) + '…' : input)
  return new UsageError(
    `${shown} is not an issue reference: ${why}.`,
    `Accepted forms: ${ACCEPTED_FORMS.join(', ')}.`,
  )
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

function parseNumber(input: string, text: string): number {
  if (!NUMBER.test(text)) throw usage(input, `issue number ${JSON.stringify(text)} is not a positive integer`)
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw usage(input, 'issue number is too large')
  return n
}

function checkNames(input: string, owner: string, repo: string): void {
  if (!isValidName(owner)) throw usage(input, `owner ${JSON.stringify(owner)} is not a valid name`)
  if (!isValidName(repo)) throw usage(input, `repository ${JSON.stringify(repo)} is not a valid name`)
}

/**
 * Match `<base>/owner/repo/<kind>/N` exactly, comparing scheme and host
 * case-insensitively. The raw text is matched, never a normalised URL, so
 * `..` segments or userinfo can't sneak past. A query or fragment after the
 * path (`#issuecomment-1`, copied from a comment's link) still names the
 * issue, as it does for gh.
 */
function matchWebUrl(
  url: string,
  base: string,
  issueSegment: string,
  pullSegments: string[],
): {owner: string; repo: string; kind: 'issue' | 'pull'; number: string} | undefined {
  const end = url.search(/[?#]/)
  const input = end === -1 ? url : url.slice(0, end)
  const prefix = trimSlash(base) + '/'
  if (input.length <= prefix.length || input.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
    return undefined
  }
  const rest = input.slice(prefix.length).split('/')
  if (rest.length !== 4) return undefined
  const [owner, repo, segment, number] = rest
  if (segment === issueSegment) return {owner, repo, kind: 'issue', number}
  if (pullSegments.includes(segment)) return {owner, repo, kind: 'pull', number}
  return undefined
}

/**
 * Parse an issue reference (SPEC §2). Throws UsageError for anything outside
 * the accepted grammar and PolicyError for a pull-request URL.
 */
export function parseIssueRef(raw: string, hosts: RefHosts): IssueRef {
  const input = raw.trim()
  if (input === '') throw usage(raw, 'it is empty')
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(input)) throw usage(raw, 'it contains whitespace or control characters')

  if (input.includes('://')) {
    const candidates: Array<{forge: ForgeKind; base: string; pulls: string[]}> = [
      {forge: 'github', base: hosts.githubWebUrl, pulls: ['pull']},
    ]
    if (hosts.forgejoBaseUrl) candidates.push({forge: 'forgejo', base: hosts.forgejoBaseUrl, pulls: ['pulls']})
    for (const {forge, base, pulls} of candidates) {
      const m = matchWebUrl(input, base, 'issues', pulls)
      if (!m) continue
      checkNames(raw, m.owner, m.repo)
      const number = parseNumber(raw, m.number)
      if (m.kind === 'pull') {
        throw new PolicyError(
          `${input} is a pull request; dispatch only works on issues.`,
          'Dispatch the issue the pull request addresses instead.',
        )
      }
      return {owner: m.owner, repo: m.repo, number, forge}
    }
    const known = candidates.map((c) => trimSlash(c.base)).join(' or ')
    throw usage(raw, `only issue URLs under ${known} are accepted (set github.webUrl or forgejo.baseUrl for other hosts)`)
  }

  const m = /^([^/#]+)\/([^/#]+)#(.*)$/.exec(input)
  if (!m) throw usage(raw, 'expected owner/repo#N')
  checkNames(raw, m[1], m[2])
  return {owner: m[1], repo: m[2], number: parseNumber(raw, m[3])}
}

/** Does a reference (typed by the user or canonical) look like an issue ref at all? Used to explain `dispatch <ref>`. */
export function looksLikeRef(text: string): boolean {
  return /^[^/\s]+\/[^/#\s]+#\S*$/.test(text.trim()) || /^https?:\/\/\S+\/issues\/\S+$/.test(text.trim())
}
