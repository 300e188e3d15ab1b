/** The forge calls the loop makes beyond a dispatch's own (src/lib/forges/: checkDetails, reviewNotes, issue comments). */
import type {Forges} from '../forges/index.js'
import type {Forge} from '../forges/types.js'
import type {ForgeKind} from '../issue-ref.js'
import type {FailedCheckFact, ReviewFact} from './decide.js'
import type {ChecksState} from '../forges/types.js'

export interface LoopCalls {
  checkDetails(owner: string, repo: string, sha: string, opts: {signal?: AbortSignal}): Promise<{state: ChecksState; failed: FailedCheckFact[]}>
  reviewNotes(owner: string, repo: string, number: number, opts: {since?: string; signal?: AbortSignal}): Promise<{changesRequested: boolean; notes: ReviewFact[]}>
  createIssueComment(owner: string, repo: string, number: number, body: string, opts: {signal?: AbortSignal}): Promise<{id: number; url: string}>
  updateIssueComment(owner: string, repo: string, id: number, body: string, opts: {signal?: AbortSignal}): Promise<void>
}

export type LoopForge = Forge & LoopCalls

/** The forge a record or source lives on; undefined when that forge is not configured. */
export async function loopForge(forges: Forges, kind: ForgeKind): Promise<LoopForge | undefined> {
  const forge = kind === 'forgejo' ? forges.forgejo() : await forges.github()
  return forge as LoopForge | undefined
}

/** A forge's refusal for its rate limit, with when it lifts (src/lib/forges/http-errors.ts ForgeRateLimitError). */
export function rateLimitReset(error: unknown): Date | undefined {
  const e = error as {name?: string; resetAt?: unknown}
  return e && e.name === 'ForgeRateLimitError' && e.resetAt instanceof Date ? e.resetAt : undefined
}
