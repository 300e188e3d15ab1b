import path from 'node:path'

import {xdgDir, type Config} from '../config/index.js'
import {PolicyError} from '../errors.js'
import {formatRef, isValidName, parseIssueRef, type ForgeKind, type IssueRef} from '../issue-ref.js'
import {remindOnce} from '../once.js'
import {assertOwnerAllowed, forgeName, routeShortRef} from '../policy.js'
import {ForgejoForge} from './forgejo.js'
import {GitHubForge} from './github.js'
import {IssueNotFoundError} from './http-errors.js'
import {refusedName} from './names.js'
import {forgejoToken, githubToken} from './tokens.js'
import type {Forge, ForgeIssue} from './types.js'

export type {Forge, ForgeIssue} from './types.js'

export interface Forges {
  github(): Promise<Forge>
  forgejo(): Forge | undefined
}

/** Build the forge clients from config and env; the GitHub token chain runs only when GitHub is used. */
export function createForges(config: Config, env: NodeJS.ProcessEnv, warn: (m: string) => void): Forges {
  let gh: Promise<Forge> | undefined
  let fj: Forge | undefined
  return {
    github() {
      gh ??= (async () => {
        const host = new URL(config.github.webUrl).hostname
        const {token} = await githubToken(env, host)
        // Once a day per host: people who work on public repositories without a token know by then.
        if (!token) remindOnce(path.join(xdgDir('cache', env), 'dispatch', 'reminders'), `no-token-${host}`, `warning: no GitHub token (GH_TOKEN, GITHUB_TOKEN or gh auth token); using ${host} unauthenticated (said once a day)`, warn)
        return new GitHubForge({apiUrl: config.github.apiUrl, webUrl: config.github.webUrl, token, timeoutMs: config.timeoutMs, warn})
      })()
      return gh
    },
    forgejo() {
      if (!config.forgejo) return undefined
      fj ??= new ForgejoForge({
        baseUrl: config.forgejo.baseUrl,
        apiUrl: config.forgejo.apiUrl,
        tokenEnv: config.forgejo.tokenEnv,
        token: forgejoToken(env, config.forgejo.tokenEnv).token,
        timeoutMs: config.timeoutMs,
      })
      return fj
    },
  }
}

export interface ResolvedIssue extends ForgeIssue {
  /** The reference as the user typed it (trimmed). */
  input: string
  /** Canonical `owner/repo#N`. */
  ref: string
  /** Set when the forge reports another repository than the one typed (transfer or rename). */
  movedFrom?: string
  /** Set when a short ref was not on Forgejo (404) and was then found on GitHub. */
  forgeFallback?: boolean
}

/**
 * SPEC §2 resolution: parse → owner allow-list, per forge (before any network
 * call) → fetch (a URL on its forge; a short ref by routeShortRef) → check the
 * names the forge reports → re-check the canonical owner on the forge that
 * answered → refuse pull requests and anything not open.
 */
export async function resolveIssue(
  input: string,
  config: Config,
  forges: Forges,
  warn: (message: string) => void = () => {},
  // A caller that parsed `input` already passes the result: the ref is parsed once.
  parsed: IssueRef = parseIssueRef(input, {githubWebUrl: config.github.webUrl, forgejoBaseUrl: config.forgejo?.baseUrl}),
): Promise<ResolvedIssue> {
  assertOwnerAllowed(parsed.owner, config.allowedOwners, '', parsed.forge)
  const typed = formatRef(parsed)

  let issue: ForgeIssue
  let forgeFallback = false
  if (parsed.forge === 'github') {
    issue = await (await forges.github()).getIssue(parsed.owner, parsed.repo, parsed.number)
  } else if (parsed.forge === 'forgejo') {
    issue = await forges.forgejo()!.getIssue(parsed.owner, parsed.repo, parsed.number)
  } else {
    const route = routeShortRef(parsed.owner, config.allowedOwners, forges.forgejo() !== undefined)
    if (route.first === 'forgejo') {
      const fj = forges.forgejo()!
      try {
        issue = await fj.getIssue(parsed.owner, parsed.repo, parsed.number)
      } catch (error) {
        // Only a plain 404 falls back; 410 (deleted) and every other failure is reported.
        if (!(error instanceof IssueNotFoundError) || error.status !== 404) throw error
        if (!route.fallbackToGitHub) {
          throw new IssueNotFoundError(error.message, `${error.suggestion} GitHub was not asked: allowedOwners admits "${parsed.owner}" on Forgejo only.`, 404)
        }
        const gh = await forges.github()
        // NOTE: the same owner name on two forges need not be the same people; say so every time.
        warn(
          `warning: ${typed} is not on Forgejo (${fj.host}); looking it up on GitHub (${gh.host}) because allowedOwners admits "${parsed.owner}" there too. ` +
            `Write forgejo:${parsed.owner} or github:${parsed.owner} in allowedOwners to pin one forge.`,
        )
        issue = await gh.getIssue(parsed.owner, parsed.repo, parsed.number)
        forgeFallback = true
      }
    } else {
      issue = await (await forges.github()).getIssue(parsed.owner, parsed.repo, parsed.number)
    }
  }

  // Whatever the forge implementation, no name it reports becomes a path unless a typed ref could carry it.
  if (!isValidName(issue.owner) || !isValidName(issue.repo)) {
    throw refusedName({host: forgeHost(issue.forge, config), what: `issue ${typed}`}, 'repository', `${issue.owner}/${issue.repo}`)
  }
  const ref = formatRef(issue)
  const moved = issue.owner.toLowerCase() !== parsed.owner.toLowerCase() || issue.repo.toLowerCase() !== parsed.repo.toLowerCase()
  assertOwnerAllowed(issue.owner, config.allowedOwners, moved ? ` (the issue now lives in ${issue.owner}/${issue.repo})` : '', issue.forge)
  if (issue.isPullRequest) {
    throw new PolicyError(`${ref} is a pull request, not an issue; dispatch only works on issues.`, 'Dispatch the issue the pull request addresses instead.')
  }
  if (issue.state !== 'open') {
    const state = issue.state || 'of unknown state (the forge reported none)'
    throw new PolicyError(`${ref} is ${state}; dispatch only works on open issues.`, 'Reopen it first if the work is still needed.')
  }
  return {...issue, input: input.trim(), ref, movedFrom: moved ? typed : undefined, ...(forgeFallback ? {forgeFallback} : {})}
}

function forgeHost(kind: ForgeKind, config: Config): string {
  const url = kind === 'forgejo' && config.forgejo ? config.forgejo.apiUrl : config.github.apiUrl
  return `${forgeName(kind)} (${new URL(url).host})`
}
