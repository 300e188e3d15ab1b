/**
 * gh's shorthand for issues: inside a checkout (or one of its worktrees) a
 * bare number, `12` or `#12`, names that repository's issue, the repository
 * being the one origin points at. Every command that takes a ref expands it
 * here, before parsing, so a bare number means the same thing everywhere
 * (headless, cascade, interactive, status, stop, attach, and the fast path).
 */
import {UsageError, errorMessage, redactUrlCredentials} from './errors.js'
import {gitQuery} from './git.js'
import {isValidName, type RefHosts} from './issue-ref.js'
import {originForge} from './workspace.js'

const BARE = /^#?([0-9]+)$/

/** `12` or `#12` (surrounding space allowed): the issue number as typed, else undefined. Pure. */
export function bareNumber(input: string): string | undefined {
  return BARE.exec(input.trim())?.[1]
}

/** What git said about the directory a bare number was typed in. */
export type OriginFacts = {kind: 'origin'; url: string} | {kind: 'no-origin'} | {kind: 'not-a-checkout'} | {kind: 'unreadable'; detail: string}

function bareUsage(typed: string, why: string, next: string): UsageError {
  return new UsageError(`${JSON.stringify(typed.trim())} is a bare issue number, which names an issue only inside a checkout of its repository: ${why}.`, next)
}

/**
 * The ref a bare number stands for, given the origin of the checkout it was
 * typed in. The result names its forge when routing would otherwise guess:
 * `owner/repo#N` when GitHub is the only forge configured, else the issue's
 * URL on the origin's forge. Throws a UsageError that says why and what to
 * type instead. Pure.
 */
export function refFromOrigin(typed: string, facts: OriginFacts, hosts: RefHosts): string {
  const number = bareNumber(typed)
  if (number === undefined) return typed
  const instead = `Name the repository instead: owner/repo#${number}.`
  if (facts.kind === 'not-a-checkout') return fail(bareUsage(typed, 'this directory is not in a git checkout', `Run the command in the repository's checkout, or name the repository: owner/repo#${number}.`))
  if (facts.kind === 'unreadable') return fail(bareUsage(typed, `git could not read this checkout's origin (${facts.detail})`, instead))
  if (facts.kind === 'no-origin') return fail(bareUsage(typed, 'this checkout has no origin remote to take the repository from', `${instead} Or add it: git remote add origin <url>.`))
  const url = redactUrlCredentials(facts.url.trim())
  const forge = originForge(url, {github: hosts.githubWebUrl, forgejo: hosts.forgejoBaseUrl})
  const known = [hosts.githubWebUrl, hosts.forgejoBaseUrl].filter(Boolean).join(' or ')
  if (!forge) return fail(bareUsage(typed, `this checkout's origin ${url} is not on a configured forge (${known})`, `${instead} Or set github.webUrl or forgejo.baseUrl to the origin's host in the config.`))
  const points = ownerRepoOf(url, forge === 'github' ? hosts.githubWebUrl : hosts.forgejoBaseUrl!)
  if (!points) {
    return fail(bareUsage(typed, `this checkout's origin ${url} does not name an owner/repo`, instead))
  }
  if (forge === 'github' && !hosts.forgejoBaseUrl) return `${points.owner}/${points.repo}#${number}`
  const base = (forge === 'github' ? hosts.githubWebUrl : hosts.forgejoBaseUrl!).replace(/\/+$/, '')
  return `${base}/${points.owner}/${points.repo}/issues/${number}`
}

/**
 * owner/repo from an origin on a forge: exactly two path segments after the
 * host (after the forge's own path, for a forge served under one), `.git`
 * dropped. Stricter than workspace's originRepo, which only compares. Pure.
 */
function ownerRepoOf(url: string, base: string): {owner: string; repo: string} | undefined {
  let rest: string
  const scp = /^(?:[^@/\s]+@)?[^:/\s]+:(?!\/\/)(.*)$/.exec(url)
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) rest = scp[1]
  else {
    try {
      rest = decodeURIComponent(new URL(url).pathname)
    } catch {
      return undefined
    }
    const basePath = new URL(base).pathname.replace(/\/+$/, '')
    if (/^https?:/i.test(url) && basePath && rest.toLowerCase().startsWith(basePath.toLowerCase() + '/')) rest = rest.slice(basePath.length)
  }
  const parts = rest.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').split('/')
  if (parts.length !== 2 || !isValidName(parts[0]) || !isValidName(parts[1])) return undefined
  return {owner: parts[0], repo: parts[1]}
}

function fail(error: UsageError): never {
  throw error
}

/**
 * What git says about `cwd`'s origin, in one git call.
 * NOTE: `cwd` may be a worker's worktree, whose files are the worker's: the
 * origin is read through git (src/lib/git.ts), never from its files, and
 * the answer is only a name to look up, checked like any typed ref.
 */
export async function readOrigin(cwd: string): Promise<OriginFacts> {
  try {
    return {kind: 'origin', url: await gitQuery(cwd, ['remote', 'get-url', 'origin'])}
  } catch (error) {
    const said = errorMessage(error)
    if (/not a git repository/i.test(said)) return {kind: 'not-a-checkout'}
    if (/no such remote/i.test(said)) return {kind: 'no-origin'}
    return {kind: 'unreadable', detail: said.trim().split('\n').at(-1) ?? said}
  }
}

/**
 * Expand bare numbers among `refs` against the checkout `cwd` is in; other
 * refs come back as they are. git runs only when a bare number is there.
 */
export async function expandBareRefs(refs: readonly string[], cwd: string, hosts: RefHosts): Promise<string[]> {
  if (!refs.some((r) => bareNumber(r) !== undefined)) return [...refs]
  const facts = await readOrigin(cwd)
  return refs.map((r) => refFromOrigin(r, facts, hosts))
}

/** One ref: see expandBareRefs. */
export async function expandBareRef(ref: string, cwd: string, hosts: RefHosts): Promise<string> {
  return (await expandBareRefs([ref], cwd, hosts))[0]
}
