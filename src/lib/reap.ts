import {readFileSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {startingRecords} from './bootstrap/slots.js'
import {errorMessage} from './errors.js'
import {gitAt, gitQuery} from './git.js'
import {Registry, type SidequestRecord} from './registry/index.js'
import {defaultBranch, hasOrigin, listWorktrees, retryOnLock, withWorktreeLock} from './worktree.js'

export interface ReapEntry {
  path: string
  branch: string | null
  /** What happened: removed (or would-remove under --dry-run), or kept. */
  action: 'removed' | 'would-remove' | 'kept'
  /** What the rules decided; the same with and without --dry-run. */
  verdict: ReapVerdict['verdict']
  reason: string
}

export interface ReapOptions {
  worktreeRoot: string
  stateDir: string
  dryRun: boolean
  /** Limit the sweep to `<worktreeRoot>/<owner>/<repo>`. */
  only?: {owner: string; repo: string}
  /**
   * `git fetch --prune origin` first, so remote branches are what origin has
   * now. Without it (or when the fetch fails) remote branches other than
   * origin/<default> vouch for nothing: a stale one may be gone upstream.
   */
  fetch: boolean
  /**
   * Keep worktrees made less than this long ago. NOTE: the quiet sweep runs
   * outside the registry lock, so another dispatch may have just made a
   * worktree whose worker's record does not exist yet; age is what tells.
   */
  minAgeMs?: number
}

/** Directories under worktreeRoot laid out as `<owner>/<repo>/<name>`. */
function candidates(root: string, only?: {owner: string; repo: string}): string[] {
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
      for (const name of dirs(path.join(root, owner, repo))) out.push(path.join(root, owner, repo, name))
    }
  }
  return out
}

/**
 * The main checkout a linked worktree belongs to, read from its `.git` file
 * (`gitdir: <main>/.git/worktrees/<name>`) without running git.
 */
export function mainCheckoutOf(worktree: string): string | undefined {
  try {
    const text = readFileSync(path.join(worktree, '.git'), 'utf8')
    const m = /^gitdir:\s*(.+)$/m.exec(text)
    if (!m) return undefined
    const gitdir = path.resolve(worktree, m[1].trim())
    const common = path.dirname(path.dirname(gitdir))
    return path.basename(common) === '.git' ? path.dirname(common) : common
  } catch {
    return undefined
  }
}

/** What reap knows about one worktree: gathered with git, decided by {@link decideReap}. */
export interface WorktreeFacts {
  /** The active worker running in it, if any. */
  activeWorker?: {pid: number; ref: string}
  /** The main checkout's `git worktree list` knows it. */
  registered: boolean
  /** The main checkout, for messages. */
  checkout: string
  /** The branch checked out; null on a detached HEAD. */
  branch: string | null
  /** Uncommitted or untracked changes (`git status --porcelain`). */
  dirty: boolean
  /** Commits on HEAD or its branch reachable from neither the default branch nor a trusted remote branch. */
  unreachable: number
  /** The default branch's name, for messages. */
  defaultBranch: string
  /** Remote branches were refreshed (fetch --prune worked, or there is no origin); else only the default branch vouches. */
  remotesFresh: boolean
  /** Every commit is on the default branch (local or origin's). */
  merged: boolean
  /** A remote branch that holds HEAD, preferring origin/<branch>; undefined when none or not fresh. */
  onRemote?: string
  /** The branch was created and never moved: nothing to lose, but attach and a redispatch want it. */
  untouched: boolean
  /** Made so recently that a dispatch may still be starting its worker there. */
  justMade?: boolean
}

export interface ReapVerdict {
  verdict: 'remove' | 'keep'
  reason: string
}

const commits = (n: number) => `${n} commit${n === 1 ? '' : 's'}`

/**
 * Reap's rule (SPEC §10): remove a worktree only when nobody works in it, it
 * is clean, and every commit on it is reachable from the default branch or a
 * remote branch; anything else is kept, with the reason. Pure, so dry run and
 * real run cannot disagree. Rules run in order; a new way to vouch for the
 * commits (say, the forge reporting the pull request merged with this tip as
 * its head) goes after the dirty check and before the unreachable one.
 */
export function decideReap(f: WorktreeFacts): ReapVerdict {
  const keep = (reason: string): ReapVerdict => ({verdict: 'keep', reason})
  if (f.activeWorker) return keep(`active worker pid ${f.activeWorker.pid} (${f.activeWorker.ref})`)
  if (f.justMade) return keep('made moments ago: a dispatch may be starting its worker there')
  if (!f.registered) return keep(`not a worktree of ${f.checkout} (run git worktree prune there)`)
  if (f.branch && !f.branch.startsWith('dispatch/')) return keep('not a dispatch branch')
  if (f.dirty) return keep('uncommitted changes')
  if (f.unreachable > 0) {
    const where = f.remotesFresh ? `not on ${f.defaultBranch} or any remote branch` : `not on ${f.defaultBranch} (origin could not be fetched, so other remote branches do not count)`
    return keep(`${f.branch ? '' : 'detached HEAD with '}${commits(f.unreachable)} ${where}`)
  }
  if (f.untouched) return keep('no commits on the branch yet')
  if (f.merged) return {verdict: 'remove', reason: `merged into ${f.defaultBranch}`}
  if (f.onRemote) return {verdict: 'remove', reason: `every commit is on ${f.onRemote}`}
  return {verdict: 'remove', reason: `every commit is on ${f.defaultBranch} or a remote branch`}
}

interface RepoFacts {
  defaultBranch: {name: string; startPoint: string}
  /** The default branch exists as a local branch. */
  localDefault: boolean
  remotesFresh: boolean
  /** Worktree path → its branch (undefined when detached). */
  branches: Map<string, string | undefined>
  /** Local dispatch branches. */
  local: Set<string>
}

async function repoFacts(mainDir: string, fetch: boolean): Promise<RepoFacts> {
  let remotesFresh = true
  if (await hasOrigin(mainDir)) {
    remotesFresh = false
    if (fetch) {
      // --prune: a branch deleted upstream must stop vouching for its commits.
      const git = await gitAt(mainDir, {timeoutMs: 15_000})
      remotesFresh = await retryOnLock(() => git.raw(['fetch', '--quiet', '--prune', 'origin'])).then(() => true, () => false)
    }
  }
  const [def, worktrees, refs] = await Promise.all([
    defaultBranch(mainDir),
    listWorktrees(mainDir),
    gitQuery(mainDir, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/dispatch/']),
  ])
  const localDefault = Boolean(await gitQuery(mainDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${def.name}`]).catch(() => ''))
  const branches = new Map(worktrees.map((w) => [path.resolve(w.path), w.branch] as const))
  return {defaultBranch: def, localDefault, remotesFresh, branches, local: new Set(refs.split('\n').filter(Boolean))}
}

/**
 * The branch a detached worktree was made on (`dispatch/<dir name>`), when it
 * still exists and no worktree has it checked out: its commits count, and it
 * goes with the worktree.
 */
function detachedBranch(dir: string, repo: RepoFacts): string | null {
  const name = `dispatch/${path.basename(dir)}`
  return repo.local.has(name) && ![...repo.branches.values()].includes(name) ? name : null
}

async function worktreeFacts(dir: string, branch: string | null, repo: RepoFacts, checkout: string): Promise<WorktreeFacts> {
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

/** Facts for a worktree whose verdict needs no git: active or unregistered. */
/** When `git worktree add` wrote the worktree's `.git` file (0 when unreadable: old enough). */
function gitfileMtime(dir: string): number {
  try {
    return statSync(path.join(dir, '.git')).mtimeMs
  } catch {
    return 0
  }
}

function nothingKnown(checkout: string): WorktreeFacts {
  return {registered: true, checkout, branch: null, dirty: false, unreachable: 0, defaultBranch: '', remotesFresh: false, merged: false, untouched: false}
}

/**
 * Remove dispatch worktrees that hold no work (SPEC §10): clean, and every
 * commit on HEAD and its branch reachable from the default branch or a remote
 * branch; never one an active worker runs in. Deletes the branch and prunes
 * git's metadata. Facts are gathered once per repository, so the sweep stays
 * cheap when it runs before every dispatch. Returns one entry per worktree
 * looked at, with the verdict and why.
 */
export async function reap(opts: ReapOptions): Promise<ReapEntry[]> {
  // A dispatch still setting up its worktree (no record yet) holds it like an active worker.
  const active = [...(await new Registry({stateDir: opts.stateDir}).active().catch((): SidequestRecord[] => [])), ...(await startingRecords(opts.stateDir))]
  const busy = new Map(active.map((r) => [path.resolve(r.cwd), r]))
  const facts = new Map<string, Promise<RepoFacts>>()
  const results: ReapEntry[] = []
  for (const dir of candidates(opts.worktreeRoot, opts.only)) {
    const keep = (branch: string | null, reason: string) => results.push({path: dir, branch, action: 'kept', verdict: 'keep', reason})
    const mainDir = mainCheckoutOf(dir)
    if (!mainDir) {
      keep(null, 'not a git worktree')
      continue
    }
    const worker = busy.get(path.resolve(dir))
    if (worker) {
      // Decided before any git work: a busy worktree costs no fetch.
      keep(worker.branch || null, decideReap({...nothingKnown(mainDir), activeWorker: {pid: worker.pid, ref: worker.ref}}).reason)
      continue
    }
    if (opts.minAgeMs && Date.now() - gitfileMtime(dir) < opts.minAgeMs) {
      keep(null, decideReap({...nothingKnown(mainDir), justMade: true}).reason)
      continue
    }
    let branch: string | null = null
    try {
      if (!facts.has(mainDir)) facts.set(mainDir, repoFacts(mainDir, opts.fetch))
      const repo = await facts.get(mainDir)!
      let f: WorktreeFacts
      if (repo.branches.has(path.resolve(dir))) {
        branch = repo.branches.get(path.resolve(dir)) ?? null
        const detachedFrom = branch ? null : detachedBranch(dir, repo)
        f = await worktreeFacts(dir, branch ?? detachedFrom, repo, mainDir)
        // The verdict speaks of the HEAD git reports; the branch still goes with the worktree.
        f.branch = branch
        if (detachedFrom) branch = detachedFrom
      } else {
        f = {...nothingKnown(mainDir), registered: false}
      }
      const v = decideReap(f)
      if (v.verdict === 'keep') {
        keep(branch, v.reason)
        continue
      }
      if (opts.dryRun) {
        results.push({path: dir, branch, action: 'would-remove', verdict: 'remove', reason: v.reason})
        continue
      }
      const git = await gitAt(mainDir)
      await withWorktreeLock(mainDir, async () => {
        // Without --force, git itself refuses a worktree that became dirty since we looked.
        await retryOnLock(() => git.raw(['worktree', 'remove', dir]))
        // -D: every commit on it was just shown reachable from the default branch or a remote branch.
        if (branch && repo.local.has(branch)) await retryOnLock(() => git.raw(['branch', '-D', branch!]))
        await retryOnLock(() => git.raw(['worktree', 'prune']))
      })
      results.push({path: dir, branch, action: 'removed', verdict: 'remove', reason: v.reason})
    } catch (error) {
      keep(branch, `could not inspect or remove: ${errorMessage(error).split('\n')[0]}`)
    }
  }
  return results
}
