/** The forge sections `dispatch init` writes: Forgejo and GitHub Enterprise (SPEC §3), from flags. Pure. */
import {UsageError} from './errors.js'
import {parseOwnerEntry} from './policy.js'

export interface InitForges {
  /** Only when not github.com: a GitHub Enterprise host. */
  github?: {webUrl: string; apiUrl: string}
  forgejo?: {baseUrl: string}
}

/**
 * A forge's web address as given on the command line: http(s), a host, no
 * user or password (a token belongs in the environment, never in the config),
 * no query or fragment; the trailing slash dropped. Throws a UsageError naming the flag.
 */
export function forgeUrl(flag: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--${flag} ${JSON.stringify(value)} is not a URL.`, `Give the forge's web address, e.g. --${flag} https://${flag === 'forgejo-url' ? 'forgejo' : 'github'}.example.com`)
  }
  const why = !/^https?:$/.test(url.protocol)
    ? `is not an http(s) URL`
    : url.username || url.password
      ? 'carries a user name or password (tokens go in the environment: GH_TOKEN, FORGEJO_TOKEN)'
      : url.search || url.hash
        ? 'has a query or fragment'
        : undefined
  if (why) throw new UsageError(`--${flag} ${JSON.stringify(value)} ${why}.`, `Give the forge's web address, e.g. --${flag} https://${flag === 'forgejo-url' ? 'forgejo' : 'github'}.example.com`)
  return url.href.replace(/\/+$/, '')
}

/**
 * The forge sections for the flags given; refuses a `forgejo:` owner with no
 * Forgejo to name. github.com itself needs no section; any other GitHub host
 * is an Enterprise server, whose API is under /api/v3. Pure.
 */
export function initForges(owners: readonly string[], flags: {forgejoUrl?: string; githubUrl?: string}): InitForges {
  const out: InitForges = {}
  if (flags.githubUrl !== undefined) {
    const web = forgeUrl('github-url', flags.githubUrl)
    if (new URL(web).hostname.toLowerCase() !== 'github.com') out.github = {webUrl: web, apiUrl: `${web}/api/v3`}
  }
  if (flags.forgejoUrl !== undefined) out.forgejo = {baseUrl: forgeUrl('forgejo-url', flags.forgejoUrl)}
  const pinned = owners.find((o) => parseOwnerEntry(o)?.forge === 'forgejo')
  if (pinned && !out.forgejo) {
    throw new UsageError(`--owner ${pinned} names Forgejo, but no Forgejo is given.`, `Add --forgejo-url https://your-forgejo.example.com (its web address), or drop the forgejo: prefix.`)
  }
  return out
}

/** The YAML of the forge sections; commented examples for those not set. Pure. */
export function renderForges(forges: InitForges): string {
  const github = forges.github
    ? `# GitHub Enterprise: refs and URLs on this host go to its API.
github:
  webUrl: ${JSON.stringify(forges.github.webUrl)}
  apiUrl: ${JSON.stringify(forges.github.apiUrl)}
`
    : ''
  const forgejo = forges.forgejo
    ? `# Forgejo: short refs try it first (GitHub after a 404); forgejo:name pins an owner to it.
forgejo:
  baseUrl: ${JSON.stringify(forges.forgejo.baseUrl)}
  tokenEnv: FORGEJO_TOKEN
`
    : `# Forgejo, when you use one (short refs then try it first):
# forgejo:
#   baseUrl: https://forgejo.example.com
#   tokenEnv: FORGEJO_TOKEN
`
  return github + (github ? '\n' : '') + forgejo
}
