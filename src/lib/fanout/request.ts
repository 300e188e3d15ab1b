/**
 * What a headless or cascade command line asks for: one issue (today's
 * dispatch, output unchanged), a list of issues, or the open issues with a
 * label. Usage errors are found here, before any request or worker. Pure.
 */
import {UsageError} from '../errors.js'
import {parseIssueRef, type RefHosts} from '../issue-ref.js'

export type DispatchRequest = {kind: 'single'; ref: string} | {kind: 'refs'; refs: string[]} | {kind: 'label'; label: string; repo: string; limit: number}

/** gh issue list's default: enough for a batch, few enough that a typo in --label does not start a crowd. */
export const DEFAULT_LABEL_LIMIT = 30

export interface FanoutFlags {
  label?: string
  repo?: string
  limit?: number
}

export function dispatchRequest(refs: readonly string[], flags: FanoutFlags, help: string): DispatchRequest {
  if (flags.label !== undefined) {
    if (refs.length > 0) throw new UsageError(`Give issue references or --label, not both (got ${refs.length === 1 ? JSON.stringify(refs[0]) : `${refs.length} references`} and --label ${JSON.stringify(flags.label)}).`, help)
    if (flags.repo === undefined) throw new UsageError(`--label needs --repo: which repository's issues labelled ${JSON.stringify(flags.label)}?`, 'For example: --label ready --repo my-org/api')
    return {kind: 'label', label: flags.label, repo: flags.repo, limit: flags.limit ?? DEFAULT_LABEL_LIMIT}
  }
  if (flags.repo !== undefined) throw new UsageError('--repo only goes with --label.', 'For example: --label ready --repo my-org/api; or name the issues themselves: owner/repo#N.')
  if (flags.limit !== undefined) throw new UsageError('--limit only goes with --label.', 'For example: --label ready --repo my-org/api --limit 10.')
  if (refs.length === 0) throw new UsageError('Missing 1 required arg: ref (an issue reference such as owner/repo#N), or --label with --repo.', help)
  return refs.length === 1 ? {kind: 'single', ref: refs[0]} : {kind: 'refs', refs: [...refs]}
}

/**
 * Every reference of a list must parse before any is dispatched: a typo in
 * the fourth must not leave three workers started and a usage error. Issues
 * that parse but are refused or missing are the fan-out's business.
 */
export function checkRefList(refs: readonly string[], hosts: RefHosts, passThroughHint: string): void {
  for (const ref of refs) {
    try {
      parseIssueRef(ref, hosts)
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      throw new UsageError(`${error.message} Nothing was started.`, `${error.suggestion ?? ''} ${passThroughHint}`.trim())
    }
  }
}
