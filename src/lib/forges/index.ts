import path from 'node:path'

import {xdgDir, type Config} from '../config.js'
import {PolicyError} from '../errors.js'
import {formatRef, parseIssueRef, type IssueRef} from '../issue-ref.js'
import {remindOnce} from '../once.js'
import {assertOwnerAllowed} from '../policy.js'
import {ForgejoForge} from './forgejo.js'
import {GitHubForge} from './github.js'
import {IssueNotFoundError} from './http-errors.js'
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
}

/**
 * SPEC §2 resolution: parse → owner allow-list (before any network call) →
 * fetch (Forgejo first for short refs, GitHub only on Forgejo 404) → re-check
 * the canonical owner → refuse pull requests and anything not open.
 */
export async function resolveIssue(input: string, config: Config, forges: Forges): Promise<ResolvedIssue> {
  const parsed: IssueRef = parseIssueRef(input, {githubWebUrl: config.github.webUrl, forgejoBaseUrl: config.forgejo?.baseUrl})
  assertOwnerAllowed(parsed.owner, config.allowedOwners)

  let issue: ForgeIssue
  if (parsed.forge === 'github') {
    issue = await (await forges.github()).getIssue(parsed.owner, parsed.repo, parsed.number)
  } else if (parsed.forge === 'forgejo') {
    issue = await forges.forgejo()!.getIssue(parsed.owner, parsed.repo, parsed.number)
  } else {
    const fj = forges.forgejo()
    if (fj) {
      try {
        issue = await fj.getIssue(parsed.owner, parsed.repo, parsed.number)
      } catch (error) {
        // Only a plain 404 falls back; 410 (deleted) and every other failure is reported.
        if (!(error instanceof IssueNotFoundError) || error.status !== 404) throw error
        issue = await (await forges.github()).getIssue(parsed.owner, parsed.repo, parsed.number)
      }
    } else {
      issue = await (await forges.github()).getIssue(parsed.owner, parsed.repo, parsed.number)
    }
  }

  const typed = formatRef(parsed)
  const ref = formatRef(issue)
  const moved = issue.owner.toLowerCase() !== parsed.owner.toLowerCase() || issue.repo.toLowerCase() !== parsed.repo.toLowerCase()
  assertOwnerAllowed(issue.owner, config.allowedOwners, moved ? ` (the issue now lives in ${issue.owner}/${issue.repo})` : '')
  if (issue.isPullRequest) {
    throw new PolicyError(`${ref} is a pull request, not an issue; dispatch only works on issues.`, 'Dispatch the issue the pull request addresses instead.')
  }
  if (issue.state !== 'open') {
    const state = issue.state || 'of unknown state (the forge reported none)'
    throw new PolicyError(`${ref} is ${state}; dispatch only works on open issues.`, 'Reopen it first if the work is still needed.')
  }
  return {...issue, input: input.trim(), ref, movedFrom: moved ? typed : undefined}
}
