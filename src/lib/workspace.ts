import {existsSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import type {Config} from './config/index.js'
import {NotFoundError, errorMessage, redactUrlCredentials} from './errors.js'
import type {ForgeKind} from './issue-ref.js'
import {gitFailure, gitQuery} from './git.js'
import {shellQuote as q} from './shell.js'

export interface Checkout {
  /** Absolute path of the checkout. */
  dir: string
  /** How it was found: an explicit `repos` entry or the workspace layout. */
  via: 'repos' | 'layout'
  /** origin's URL, when the checkout has one. */
  origin?: string
}

/** Is `child` inside `parent` (or equal to it)? Compares resolved absolute paths. Pure. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child))
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/**
 * Where the checkout for owner/repo should be: an explicit `repos` entry wins,
 * else `workspace.root` + `layout`. A layout path must stay inside the root.
 */
export function checkoutPath(config: Config, owner: string, repo: string): {dir: string; via: 'repos' | 'layout'} {
  const explicit = config.repos[`${owner}/${repo}`.toLowerCase()]
  if (explicit) return {dir: explicit, via: 'repos'}
  const rel = config.workspace.layout.replaceAll('{owner}', owner).replaceAll('{repo}', repo)
  const dir = path.resolve(config.workspace.root, rel)
  if (!isInside(config.workspace.root, dir)) {
    throw new NotFoundError(`The workspace layout puts ${owner}/${repo} at ${dir}, outside workspace.root ${config.workspace.root}.`, 'Fix workspace.layout or add a repos entry.')
  }
  return {dir, via: 'layout'}
}

/** The configured checkout of owner/repo, or undefined when the config puts it nowhere valid. */
export function configuredCheckout(config: Config, owner: string, repo: string): string | undefined {
  try {
    return checkoutPath(config, owner, repo).dir
  } catch {
    return undefined
  }
}

/**
 * The owner/repo an origin URL points at: the last two path segments, `.git`
 * stripped. Works for https, ssh, scp-like and local paths. Pure.
 */
export function originRepo(url: string): {owner: string; repo: string} | undefined {
  const cleaned = url.trim().replace(/\/+$/, '').replace(/\.git$/i, '')
  const parts = cleaned.split(/[/:]/).filter(Boolean)
  if (parts.length < 2) return undefined
  return {owner: parts[parts.length - 2], repo: parts[parts.length - 1]}
}

export function cloneCommand(webBase: string, owner: string, repo: string, dir: string): string {
  return `git clone ${q(`${webBase}/${owner}/${repo}.git`)} ${q(dir)}`
}

/** Find and check the local checkout for an issue's repository (SPEC §4). */
export async function findCheckout(config: Config, owner: string, repo: string, webBase: string): Promise<Checkout> {
  const {dir, via} = checkoutPath(config, owner, repo)
  const where = via === 'repos' ? `${dir} (from repos.${owner}/${repo})` : `${dir} (workspace.root + layout)`
  const clone = `Try: ${cloneCommand(webBase, owner, repo, dir)}`
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new NotFoundError(`No checkout of ${owner}/${repo}: looked in ${where}.`, clone)
  }
  let top: string
  // Both questions at once: every git call is a process start.
  const originP = gitQuery(dir, ['remote', 'get-url', 'origin']).catch(() => undefined)
  try {
    top = await gitQuery(dir, ['rev-parse', '--show-toplevel'])
  } catch (error) {
    if (!/not a git repository/i.test(errorMessage(error))) throw gitFailure('inspect the checkout', dir, error)
    throw new NotFoundError(`${dir} is not a git repository (looked for the checkout of ${owner}/${repo} there).`, clone)
  }
  if (realpathSync(top) !== realpathSync(dir)) {
    throw new NotFoundError(`${dir} is inside the git repository ${top}, not a checkout of ${owner}/${repo} itself.`, clone)
  }
  const origin = (await originP) || undefined
  if (origin) {
    const points = originRepo(origin)
    if (!points || points.owner.toLowerCase() !== owner.toLowerCase() || points.repo.toLowerCase() !== repo.toLowerCase()) {
      throw new NotFoundError(
        `The checkout at ${dir} has origin ${origin}, which is not ${owner}/${repo}.`,
        `Point repos.${owner}/${repo} at the right checkout, or ${clone.charAt(0).toLowerCase()}${clone.slice(1)}`,
      )
    }
  }
  // Kept without credentials: the checkout reaches --json and records.
  return {dir, via, origin: origin && redactUrlCredentials(origin)}
}

/** The configured forges' web bases, to tell which one an origin URL is on. */
export interface ForgeWebBases {
  github: string
  forgejo?: string
}

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase() || undefined
  } catch {
    return undefined
  }
}

/**
 * Which configured forge an origin URL is on, when that can be told: an
 * http(s) origin under a forge's web base, else an origin whose host is the
 * host of exactly one forge (ssh, scp-like `git@host:owner/repo`). Local
 * paths and unknown hosts tell nothing. Pure.
 */
export function originForge(origin: string, bases: ForgeWebBases): ForgeKind | undefined {
  const url = origin.trim()
  const forges = (Object.entries(bases) as Array<[ForgeKind, string | undefined]>).filter((e): e is [ForgeKind, string] => Boolean(e[1]))
  if (/^https?:\/\//i.test(url)) {
    const under = forges
      .map(([kind, base]) => [kind, base.replace(/\/+$/, '') + '/'] as const)
      .filter(([, base]) => url.toLowerCase().startsWith(base.toLowerCase()))
      .sort((a, b) => b[1].length - a[1].length)
    if (under.length > 0) return under[0][0]
  }
  let host: string | undefined
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) host = /^file:/i.test(url) ? undefined : hostnameOf(url)
  else host = /^(?:[^@/\s]+@)?([^:/\s]+):/.exec(url)?.[1]?.toLowerCase()
  if (!host) return undefined
  const matches = forges.filter(([, base]) => hostnameOf(base) === host)
  return matches.length === 1 ? matches[0][0] : undefined
}

const FORGE_LABEL: Record<ForgeKind, string> = {github: 'GitHub', forgejo: 'Forgejo'}

/**
 * Refuse a checkout whose origin is on the other forge than the issue: the
 * same owner/repo name on GitHub and on Forgejo need not be the same project.
 */
export function assertOriginOnForge(checkout: Checkout, issue: {forge: ForgeKind; owner: string; repo: string; webBase: string}, bases: ForgeWebBases): void {
  if (!checkout.origin) return
  const on = originForge(checkout.origin, bases)
  if (!on || on === issue.forge) return
  throw new NotFoundError(
    `The checkout at ${checkout.dir} has origin ${checkout.origin}, which is on ${FORGE_LABEL[on]}, but ${issue.owner}/${issue.repo} is a ${FORGE_LABEL[issue.forge]} repository.`,
    `Clone the ${FORGE_LABEL[issue.forge]} repository (git clone ${q(`${issue.webBase}/${issue.owner}/${issue.repo}.git`)} <dir>) and point repos.${issue.owner}/${issue.repo} at it.`,
  )
}
