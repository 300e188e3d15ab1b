/** Outcome tracking: what came of a worker's branch (pushed, pull request, checks, merged). */
import type {Forges} from '../forges/index.js'
import type {ForgeKind} from '../issue-ref.js'
import type {SidequestRecord} from '../registry/index.js'
import {OutcomeLookup, type OutcomeTarget} from './lookup.js'
import type {WorkerOutcome} from './types.js'

export {OutcomeLookup, type OutcomeLookupOptions, type OutcomeTarget} from './lookup.js'
export {summarise} from './summary.js'
export type {ChecksState, OutcomePullRequest, PullRequestState, WorkerOutcome} from './types.js'

/** Where to ask about a record's branch; undefined when it has none worth asking about. Pure. */
export function outcomeTarget(r: Pick<SidequestRecord, 'ref' | 'forge' | 'branch' | 'cwd' | 'checkout'>): OutcomeTarget | undefined {
  const m = /^([^/#\s]+)\/([^/#\s]+)#\d+$/.exec(r.ref)
  if (!m || !r.branch) return undefined
  return {forge: r.forge, owner: m[1], repo: m[2], branch: r.branch, dir: r.checkout ?? r.cwd}
}

/** A lookup session over the configured forges: forge clients are made only when a lookup needs one. */
export function forgeLookup(forges: Forges, timeoutMs: number): OutcomeLookup {
  return new OutcomeLookup({
    timeoutMs,
    forge: async (kind: ForgeKind) => (kind === 'forgejo' ? forges.forgejo() : forges.github()),
  })
}

/**
 * Rows with their outcome: looked up for workers that have finished (a
 * running one has not landed anything yet), null for the rest. Never
 * rejects: a failure to look something up is part of the outcome.
 */
export async function withOutcomes<T extends SidequestRecord & {active: boolean}>(rows: readonly T[], lookup: () => OutcomeLookup): Promise<Array<T & {outcome: WorkerOutcome | null}>> {
  let session: OutcomeLookup | undefined
  return Promise.all(
    rows.map(async (r) => {
      const target = r.active ? undefined : outcomeTarget(r)
      if (!target) return {...r, outcome: null}
      session ??= lookup()
      return {...r, outcome: await session.of(target)}
    }),
  )
}
