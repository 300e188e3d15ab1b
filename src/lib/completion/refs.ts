/**
 * The issue refs completion offers: those of active and recent workers, read
 * from the registry by `dispatch autocomplete refs` on the start-up fast path.
 */
import {formatRef, parseIssueRef} from '../issue-ref.js'
import {isActive, type Registry, type SidequestRecord} from '../registry/index.js'

/** Workers started this recently are offered even when they have ended. */
export const RECENT_REF_WINDOW_MS = 7 * 24 * 60 * 60 * 1000

/**
 * Refs to offer: those of active workers and of workers started within
 * `windowMs`, newest first, each once (owner/repo compared case-insensitively,
 * the newest spelling kept). Anything that is not a canonical `owner/repo#N`
 * is left out: shells insert these words into command lines. Pure.
 */
export function completionRefs(
  records: ReadonlyArray<Pick<SidequestRecord, 'ref' | 'started_at' | 'pid'>>,
  now: Date,
  windowMs: number,
  active: (record: Pick<SidequestRecord, 'ref' | 'started_at' | 'pid'>) => boolean,
): string[] {
  const since = now.getTime() - windowMs
  const seen = new Set<string>()
  const out: string[] = []
  const newestFirst = records
    .filter((r) => isCanonicalRef(r.ref) && (Date.parse(r.started_at) >= since || active(r)))
    .sort((a, b) => b.started_at.localeCompare(a.started_at) || b.pid - a.pid)
  for (const r of newestFirst) {
    const key = r.ref.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    out.push(r.ref)
  }
  return out
}

function isCanonicalRef(ref: string): boolean {
  try {
    return formatRef(parseIssueRef(ref, {githubWebUrl: 'https://github.com'})) === ref
  } catch {
    return false
  }
}

/**
 * What `dispatch autocomplete refs` prints. Never fails: it runs on every TAB,
 * where an error message would land in the middle of the command line, so any
 * trouble (no config, a broken one, no state dir) means no refs. `deps` wires
 * the run from the composition root (read-only, silent, noScheduler: a TAB
 * never waits on a Slurm controller); its failure counts too.
 */
export async function refsToComplete(deps: () => Promise<{registry: () => Pick<Registry, 'all'>; now: () => Date}>): Promise<string[]> {
  try {
    const {registry, now} = await deps()
    const records = await registry().all()
    return completionRefs(records, now(), RECENT_REF_WINDOW_MS, (r) => isActive(r as SidequestRecord))
  } catch {
    return []
  }
}
