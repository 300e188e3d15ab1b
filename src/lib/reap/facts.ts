/**
 * The reads reap decides on: which directories to look at, the facts of each
 * repository (gathered once per sweep) and of each worktree.
 */
import {readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {gitAt, gitQuery, type GitPlace} from '../git.js'
import {defaultBranch, hasOrigin, parseWorktreeList, retryOnLock} from '../worktree/index.js'
import type {WorktreeFacts} from './decide.js'

/** Directories under worktreeRoot laid out as `<owner>/<repo>/<name>`. */
export function candidates(root: string, only?: {owner: string; repo: string; issue?: number}): string[] {
  const dirs = (p: string) => {
    try {
      return readdirSync(p).filter((n) => !n.startsWith('.') && statSync(path.join(p, n)).isDirectory())
    } catch {
      return []
    }
  }
  const out: string[] = []
  for (const owner of only ? [only.owner] : dirs(root)) {
    for (const repo of only ? [only.repo] : dirs(path.join(root, owner))) {
      for (const name of dirs(path.join(root, owner, repo))) {
        if (only?.issue !== undefined && name !== `issue-${only.issue}` && !name.startsWith(`issue-${only.issue}-`)) continue
        out.push(path.join(root, owner, repo, name))
      }
    }
  }
  return out
}

export interface RepoFacts {
  defaultBranch: {name: string; startPoint: string}
  /** The default branch exists as a local branch. */
  localDefault: boolean
  remotesFresh: boolean
  /** Worktree path → its branch (undefined when detached). */
  branches: Map<string, string | undefined>
  /** Worktree path → the commit its HEAD points at, as `worktree list` reported it. */
  heads: Map<string, string>
  /** Local dispatch branches. */
  local: Set<string>
  /** Local dispatch branch → the commit it points at. */
  tips: Map<string, string>
}

/** `for-each-ref --format='%(objectname) %(refname)'` over refs/heads/ as branch → commit. Pure. */
export function parseRefs(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ')
    if (space > 0 && line.startsWith('refs/heads/', space + 1)) out.set(line.slice(space + 1 + 'refs/heads/'.length), line.slice(0, space))
  }
  return out
}

/** `worktree list --porcelain` as worktree path → HEAD's commit. Pure. */
export function parseHeads(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n')
    const wt = lines.find((l) => l.startsWith('worktree '))
    const head = lines.find((l) => l.startsWith('HEAD '))
    if (wt && head) out.set(path.resolve(wt.slice('worktree '.length)), head.slice('HEAD '.length))
  }
  return out
}

/** A repository's facts, once per sweep: one `for-each-ref`, one `worktree list`, the default branch, and a fetch when asked. */
export async function repoFacts(mainDir: string, fetch: boolean): Promise<RepoFacts> {
  let remotesFresh = true
  if (await hasOrigin(mainDir)) {
    remotesFresh = false
    if (fetch) {
      // --prune: a branch deleted upstream must stop vouching for its commits.
      const git = await gitAt(mainDir, {timeoutMs: 15_000})
      remotesFresh = await retryOnLock(() => git.raw(['fetch', '--quiet', '--prune', 'origin'])).then(() => true, () => false)
    }
  }
  const [def, list, refs] = await Promise.all([
    defaultBranch(mainDir),
    gitQuery(mainDir, ['worktree', 'list', '--porcelain']),
    gitQuery(mainDir, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/']),
  ])
  const all = parseRefs(refs)
  const tips = new Map([...all].filter(([name]) => name.startsWith('dispatch/')))
  const branches = new Map(parseWorktreeList(list).map((w) => [path.resolve(w.path), w.branch] as const))
  return {defaultBranch: def, localDefault: all.has(def.name), remotesFresh, branches, heads: parseHeads(list), local: new Set(tips.keys()), tips}
}

/**
 * The branch a detached worktree was made on (`dispatch/<dir name>`), when it
 * still exists and no worktree has it checked out: its commits count, and it
 * goes with the worktree.
 */
export function detachedBranch(dir: string, repo: RepoFacts): string | null {
  const name = `dispatch/${path.basename(dir)}`
  return repo.local.has(name) && ![...repo.branches.values()].includes(name) ? name : null
}

export async function worktreeFacts(dir: GitPlace, branch: string | null, repo: RepoFacts, checkout: string): Promise<WorktreeFacts> {
  const def = repo.defaultBranch
  const defaults = [...new Set([...(repo.localDefault ? [`refs/heads/${def.name}`] : []), ...(def.startPoint === def.name ? [] : [def.startPoint])])]
  const tips = ['HEAD', ...(branch ? [`refs/heads/${branch}`] : [])]
  const count = async (not: string[]) => Number(await gitQuery(dir, ['rev-list', '--count', ...tips, '--not', ...not, '--']))
  const [status, unreachable, unmerged, containing, reflog] = await Promise.all([
    gitQuery(dir, ['status', '--porcelain', '--untracked-files=normal']),
    count(repo.remotesFresh ? [...defaults, '--remotes'] : defaults),
    count(defaults),
    repo.remotesFresh ? gitQuery(dir, ['for-each-ref', '--contains', 'HEAD', '--format=%(refname:short)', 'refs/remotes/']) : Promise.resolve(''),
    branch ? gitQuery(dir, ['reflog', 'show', '--format=%gs', `refs/heads/${branch}`]).catch(() => '') : Promise.resolve(''),
  ])
  const remotes = containing.split('\n').filter((r) => r && !r.endsWith('/HEAD'))
  const moves = reflog.split('\n').filter(Boolean)
  return {
    registered: true,
    checkout,
    branch,
    dirty: status !== '',
    unreachable,
    defaultBranch: def.name,
    remotesFresh: repo.remotesFresh,
    merged: unmerged === 0,
    onRemote: remotes.find((r) => branch && r === `origin/${branch}`) ?? remotes[0],
    // A branch nobody has committed to yet: its reflog holds only the creation.
    untouched: moves.length === 1 && moves[0].startsWith('branch: Created from'),
  }
}

/** When `git worktree add` wrote the worktree's `.git` file (0 when unreadable: old enough). */
export function gitfileMtime(dir: string): number {
  try {
    return statSync(path.join(dir, '.git')).mtimeMs
  } catch {
    return 0
  }
}

/** Facts for a worktree whose verdict needs no git: active, just made or unregistered. */
export function nothingKnown(checkout: string): WorktreeFacts {
  return {registered: true, checkout, branch: null, dirty: false, unreachable: 0, defaultBranch: '', remotesFresh: false, merged: false, untouched: false}
}
