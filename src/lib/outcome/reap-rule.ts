/**
 * Reap's forge rule (SPEC §10): a squash or rebase merge leaves the branch's
 * commits on no branch git can see, yet the work landed. The forge vouches
 * for them when it reports the branch's pull request merged with the branch
 * tip as its head: nothing was added after the merge. Pure.
 */
import type {OutcomePullRequest} from './types.js'

/** What reap's decision needs from the forge, gathered beforehand. */
export interface ForgeReapFacts {
  /** The branch's pull request as the forge reported it; null: none; undefined: the forge was not asked or did not answer. */
  pullRequest?: OutcomePullRequest | null
  /** The one commit HEAD and the branch point at; undefined when they differ or are unknown. */
  tip?: string
  /** Why the forge gave no answer (down, timed out, not configured), for the reason reap prints. */
  forgeError?: string
}

export interface ForgeVerdict {
  verdict: 'remove' | 'keep'
  reason: string
  rule: 'forge'
}

const commits = (n: number) => `${n} commit${n === 1 ? '' : 's'}`
const short = (sha: string) => sha.slice(0, 12)

/**
 * The forge's say on a clean worktree whose commits git cannot place
 * (`unreachable` > 0): remove when its pull request was merged with this
 * tip as head; keep, saying why, when it was merged but the branch moved
 * on since. Undefined when the forge has nothing to add (no merged pull
 * request, or git's rules already decide). Pure.
 */
export function forgeVerdict(f: ForgeReapFacts & {unreachable: number; branch: string | null}): ForgeVerdict | undefined {
  const pr = f.pullRequest
  if (f.unreachable === 0 || !f.branch || !pr || pr.state !== 'merged') return undefined
  if (f.tip && f.tip === pr.head_sha) {
    return {verdict: 'remove', rule: 'forge', reason: `pull request #${pr.number} was merged with this branch tip (${short(f.tip)}) as its head`}
  }
  const tip = f.tip ? ` is at ${short(f.tip)}` : ' has moved'
  return {verdict: 'keep', rule: 'forge', reason: `${commits(f.unreachable)} not on the default branch or any remote branch: pull request #${pr.number} was merged at ${short(pr.head_sha)}, but the branch${tip} (work added after the merge)`}
}

/** Whether asking the forge could change the verdict: a clean dispatch worktree whose commits git cannot place. Pure. */
export function forgeCouldVouch(f: {verdict: 'remove' | 'keep'; dirty: boolean; unreachable: number; branch: string | null; activeWorker?: unknown; registered: boolean}): boolean {
  return f.verdict === 'keep' && f.registered && !f.activeWorker && !f.dirty && f.unreachable > 0 && Boolean(f.branch?.startsWith('dispatch/'))
}
