/**
 * `--label L --repo owner/repo`: the open issues to fan out over, read from
 * the forge the repository lives on (routed like a short ref, SPEC §2).
 */
import type {Config} from '../config/index.js'
import {NotFoundError, UsageError} from '../errors.js'
import {isValidName, type ForgeKind} from '../issue-ref.js'
import {assertOwnerAllowed, routeShortRef} from '../policy.js'
import {IssueNotFoundError} from './http-errors.js'
import {checkLabel} from './listing.js'
import type {Forges} from './index.js'
import type {Forge} from './types.js'

/** One issue to dispatch: `input` is what dispatch resolves, `ref` what people read. */
export interface LabelledIssue {
  input: string
  ref: string
  title: string
}

/** `owner/repo` as --repo takes it. Pure. */
export function parseRepoFlag(value: string): {owner: string; repo: string} {
  const parts = value.trim().split('/')
  if (parts.length !== 2 || !isValidName(parts[0]) || !isValidName(parts[1])) {
    throw new UsageError(`--repo must be owner/repo, got "${value}".`, 'For example: --repo my-org/api')
  }
  return {owner: parts[0], repo: parts[1]}
}

/**
 * The open issues of `repo` carrying `label`, at most `limit`, each as an
 * issue URL on the forge that listed it (so dispatching it asks that forge
 * only). The owner allow-list is checked before any request; every issue
 * still goes through all of a dispatch's checks afterwards.
 */
export async function labelledIssues(repoFlag: string, label: string, limit: number, config: Config, forges: Forges, warn: (m: string) => void): Promise<LabelledIssue[]> {
  const {owner, repo} = parseRepoFlag(repoFlag)
  const name = checkLabel(label)
  assertOwnerAllowed(owner, config.allowedOwners)
  const route = routeShortRef(owner, config.allowedOwners, forges.forgejo() !== undefined)
  let forge: Forge = route.first === 'forgejo' ? forges.forgejo()! : await forges.github()
  let listed
  try {
    listed = await forge.listOpenIssues(owner, repo, name, limit)
  } catch (error) {
    if (!(error instanceof IssueNotFoundError) || error.status !== 404) throw error
    if (forge.kind === 'github' || !route.fallbackToGitHub) throw repoNotFound(owner, repo, forge)
    const gh = await forges.github()
    warn(`warning: ${owner}/${repo} is not on Forgejo (${forge.host}); listing it on GitHub (${gh.host}) because allowedOwners admits "${owner}" there too.`)
    forge = gh
    listed = await forge.listOpenIssues(owner, repo, name, limit).catch((e: unknown) => {
      throw e instanceof IssueNotFoundError && e.status === 404 ? repoNotFound(owner, repo, forge) : e
    })
  }
  const web = webBase(forge.kind, config)
  return listed.map((i) => ({input: `${web}/${owner}/${repo}/issues/${i.number}`, ref: `${owner}/${repo}#${i.number}`, title: i.title}))
}

function repoNotFound(owner: string, repo: string, forge: Forge): NotFoundError {
  return new NotFoundError(`Repository ${owner}/${repo} was not found on ${forge.host} (404).`, 'Check --repo; for a private repository, check the forge token (dispatch doctor).')
}

function webBase(kind: ForgeKind, config: Config): string {
  return kind === 'forgejo' && config.forgejo ? config.forgejo.baseUrl : config.github.webUrl
}
