/** The forge a run or a source lives on, and a forge's rate-limit refusal (src/lib/forges/http-errors.ts). */
import type {Forges} from '../forges/index.js'
import {ForgeRateLimitError} from '../forges/http-errors.js'
import type {Forge} from '../forges/types.js'
import type {ForgeKind} from '../issue-ref.js'

/** undefined when that forge is not configured. */
export async function loopForge(forges: Forges, kind: ForgeKind): Promise<Forge | undefined> {
  return kind === 'forgejo' ? forges.forgejo() : forges.github()
}

/** When a forge's rate limit lifts, when the error is one and the forge said. */
export function rateLimitReset(error: unknown): Date | undefined {
  return error instanceof ForgeRateLimitError ? error.resetAt : undefined
}
