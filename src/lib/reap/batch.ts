/**
 * Reap's facts for many worktrees of one repository in a handful of git
 * processes (issue #21): the tips come from the repository's one
 * `worktree list` and `for-each-ref`, every worktree's commits from two
 * `rev-list` walks over all tips at once, the branches' reflogs from one
 * `log -g`. What is left per worktree (status, and which remote branch holds
 * a removable one) runs only where it can change the verdict.
 * The per-worktree reads (facts.ts worktreeFacts) are the reference: the
 * same verdicts, tested side by side on a table of situations.
 */
import {gitQuery, type GitPlace} from '../git.js'
import {decideReap, type WorktreeFacts} from './decide.js'
import type {RepoFacts} from './facts.js'

/** One worktree to judge: where it is, the branch whose commits count (its own, or the one a detached one was made on), its HEAD. */
export interface BatchItem {
  dir: string
  /** Where its git data is, as the checkout vouches: status runs there, never through the worktree's own .git. */
  place: GitPlace
  branch: string | null
  head: string
}

/** What the walks found for one worktree; status and the remote branch come later, where needed. */
export interface WalkFacts {
  unreachable: number
  unmerged: number
  untouched: boolean
}

/** `rev-list --parents` output as commit → parents (within the listed set). Pure. */
export function parseParents(text: string): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const [oid, ...parents] = line.trim().split(' ')
    if (oid) graph.set(oid, parents)
  }
  return graph
}

/** How many commits of `graph` are reachable from `tips` (the graph holds exactly the commits not reachable from what was excluded). Pure. */
export function countFrom(graph: Map<string, string[]>, tips: readonly string[]): number {
  const seen = new Set<string>()
  const stack = tips.filter((t) => graph.has(t))
  while (stack.length > 0) {
    const oid = stack.pop()!
    if (seen.has(oid)) continue
    seen.add(oid)
    for (const p of graph.get(oid) ?? []) if (graph.has(p) && !seen.has(p)) stack.push(p)
  }
  return seen.size
}

/** `log -g --format=%gD%x09%gs` output as ref → its reflog subjects, newest first. Pure. */
export function parseReflogs(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t')
    const at = line.lastIndexOf('@{', tab)
    if (tab < 0 || at < 0) continue
    const ref = line.slice(0, at)
    out.set(ref, [...(out.get(ref) ?? []), line.slice(tab + 1)])
  }
  return out
}

/** The refs every commit of a removable worktree must be reachable from. */
export function defaultRefs(repo: RepoFacts): string[] {
  const def = repo.defaultBranch
  return [...new Set([...(repo.localDefault ? [`refs/heads/${def.name}`] : []), ...(def.startPoint === def.name ? [] : [def.startPoint])])]
}

const CHUNK = 200

/** The tips of every item (HEAD, and the branch's tip when it exists). */
function tipsOf(item: BatchItem, repo: RepoFacts): string[] {
  const branchTip = item.branch ? repo.tips.get(item.branch) : undefined
  return [item.head, ...(branchTip ? [branchTip] : [])]
}

/**
 * The commit walks for every item at once, in the main checkout: two
 * `rev-list --parents` (commits on no default branch; on no default or remote
 * branch), counted per item in memory, and the reflogs of the items' branches.
 */
export async function walkFacts(mainDir: string, repo: RepoFacts, items: readonly BatchItem[]): Promise<WalkFacts[]> {
  if (items.length === 0) return []
  const defaults = defaultRefs(repo)
  const tips = [...new Set(items.flatMap((i) => tipsOf(i, repo)))]
  // NOTE: oids on the command line: 41 bytes each, so some 50,000 fit in the 2 MiB Linux allows.
  const walk = (not: string[]) => gitQuery(mainDir, ['rev-list', '--parents', ...tips, '--not', ...not, '--'], 60_000).then(parseParents)
  const branches = [...new Set(items.map((i) => i.branch).filter((b): b is string => Boolean(b)))]
  const reflogs = async () => {
    const out = new Map<string, string[]>()
    for (let i = 0; i < branches.length; i += CHUNK) {
      const text = await gitQuery(mainDir, ['log', '-g', '--format=%gD%x09%gs', ...branches.slice(i, i + CHUNK).map((b) => `refs/heads/${b}`), '--'])
      for (const [ref, subjects] of parseReflogs(text)) out.set(ref, subjects)
    }
    return out
  }
  const [unmerged, unreachable, logs] = await Promise.all([walk(defaults), repo.remotesFresh ? walk([...defaults, '--remotes']) : undefined, reflogs()])
  return items.map((item) => {
    const t = tipsOf(item, repo)
    const moves = item.branch ? (logs.get(`refs/heads/${item.branch}`) ?? []) : []
    return {
      unmerged: countFrom(unmerged, t),
      unreachable: countFrom(unreachable ?? unmerged, t),
      // A branch nobody has committed to yet: its reflog holds only the creation.
      untouched: moves.length === 1 && moves[0].startsWith('branch: Created from'),
    }
  })
}

/**
 * One worktree's facts from its walk, asking git in the worktree only what
 * can still matter: `status` unless `quiet` and the worktree is kept whatever
 * its status (dirty only ever turns a removal into a keep), and which remote
 * branch holds HEAD only for a removal that names one.
 */
export async function finishFacts(item: BatchItem & {reportedBranch: string | null}, walk: WalkFacts, repo: RepoFacts, checkout: string, quiet: boolean): Promise<WorktreeFacts> {
  const f: WorktreeFacts = {
    registered: true,
    checkout,
    branch: item.reportedBranch,
    dirty: false,
    unreachable: walk.unreachable,
    defaultBranch: repo.defaultBranch.name,
    remotesFresh: repo.remotesFresh,
    merged: walk.unmerged === 0,
    untouched: walk.untouched,
  }
  // NOTE: decided with the worktree's own branch, as reap decides (detached ones by their HEAD).
  const clean = decideReap(f)
  if (!quiet || clean.verdict === 'remove') f.dirty = (await gitQuery(item.place, ['status', '--porcelain', '--untracked-files=normal'])) !== ''
  if (repo.remotesFresh && walk.unreachable === 0 && walk.unmerged > 0) {
    const containing = await gitQuery(checkout, ['for-each-ref', '--contains', item.head, '--format=%(refname:short)', 'refs/remotes/'])
    const remotes = containing.split('\n').filter((r) => r && !r.endsWith('/HEAD'))
    f.onRemote = remotes.find((r) => item.branch && r === `origin/${item.branch}`) ?? remotes[0]
  }
  return f
}
