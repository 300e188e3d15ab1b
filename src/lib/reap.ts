import {readFileSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {errorMessage} from './errors.js'
import {gitAt, gitQuery} from './git.js'
import {Registry, type SidequestRecord} from './registry.js'
import {defaultBranch, hasOrigin, listWorktrees, retryOnLock} from './worktree.js'

export interface ReapEntry {
  path: string
  branch: string | null
  action: 'removed' | 'would-remove' | 'kept'
  reason: string
}

export interface ReapOptions {
  worktreeRoot: string
  stateDir: string
  dryRun: boolean
  /** Limit the sweep to `<worktreeRoot>/<owner>/<repo>`. */
  only?: {owner: string; repo: string}
  /** `git fetch --prune origin` first, so branches deleted upstream show as gone. */
  fetch: boolean
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

interface RepoFacts {
  defaultName: string
  /** Worktree path → its branch (undefined when detached). */
  branches: Map<string, string | undefined>
  /** Dispatch branches that exist locally. */
  local: Set<string>
  /** Branches merged into origin/<default> or <default>. */
  merged: Set<string>
  /** Branches whose upstream was deleted (git's "[gone]"). */
  gone: Set<string>
}

async function repoFacts(mainDir: string, fetch: boolean): Promise<RepoFacts> {
  if (fetch && (await hasOrigin(mainDir))) {
    await (await gitAt(mainDir, {timeoutMs: 15_000})).raw(['fetch', '--quiet', '--prune', 'origin']).catch(() => undefined)
  }
  const [def, worktrees] = await Promise.all([defaultBranch(mainDir), listWorktrees(mainDir)])
  const branches = new Map(worktrees.map((w) => [path.resolve(w.path), w.branch] as const))
  const refs = await gitQuery(mainDir, ['for-each-ref', '--format=%(refname:short)%09%(upstream:track)', 'refs/heads/dispatch/'])
  const local = new Set<string>()
  const gone = new Set<string>()
  for (const line of refs.split('\n').filter(Boolean)) {
    const [name, track] = line.split('\t')
    local.add(name)
    if (track === '[gone]') gone.add(name)
  }
  const merged = new Set<string>()
  for (const target of new Set([def.startPoint, def.name])) {
    const out = await gitQuery(mainDir, ['for-each-ref', '--format=%(refname:short)', `--merged=${target}`, 'refs/heads/dispatch/']).catch(() => '')
    for (const name of out.split('\n').filter(Boolean)) merged.add(name)
  }
  return {defaultName: def.name, branches, local, merged, gone}
}

/**
 * Remove dispatch worktrees whose branch is merged into the default branch or
 * gone (SPEC §4); never a dirty or unmerged one, never one an active worker
 * runs in. Facts are gathered once per repository, so the sweep stays cheap
 * when it runs before every dispatch. Returns one entry per worktree looked at.
 */
export async function reap(opts: ReapOptions): Promise<ReapEntry[]> {
  const active = await new Registry({stateDir: opts.stateDir}).active().catch((): SidequestRecord[] => [])
  const busy = new Map(active.map((r) => [path.resolve(r.cwd), r]))
  const facts = new Map<string, Promise<RepoFacts>>()
  const results: ReapEntry[] = []
  for (const dir of candidates(opts.worktreeRoot, opts.only)) {
    const keep = (branch: string | null, reason: string) => results.push({path: dir, branch, action: 'kept', reason})
    const mainDir = mainCheckoutOf(dir)
    if (!mainDir) {
      keep(null, 'not a git worktree')
      continue
    }
    const worker = busy.get(path.resolve(dir))
    if (worker) {
      keep(worker.branch || null, `active worker pid ${worker.pid} (${worker.ref})`)
      continue
    }
    try {
      if (!facts.has(mainDir)) facts.set(mainDir, repoFacts(mainDir, opts.fetch))
      const repo = await facts.get(mainDir)!
      if (!repo.branches.has(path.resolve(dir))) {
        keep(null, `not a worktree of ${mainDir} (run git worktree prune there)`)
        continue
      }
      const branch = repo.branches.get(path.resolve(dir)) ?? null
      if (branch && !branch.startsWith('dispatch/')) {
        keep(branch, 'not a dispatch branch')
        continue
      }
      let reason: string
      if (!branch || !repo.local.has(branch)) reason = 'branch gone'
      else if (repo.gone.has(branch)) reason = 'branch deleted upstream'
      else if (repo.merged.has(branch)) reason = `merged into ${repo.defaultName}`
      else {
        keep(branch, `not merged into ${repo.defaultName}`)
        continue
      }
      if (await gitQuery(dir, ['status', '--porcelain', '--untracked-files=normal'])) {
        keep(branch, 'uncommitted changes')
        continue
      }
      if (reason.startsWith('merged')) {
        // A branch nobody has committed to yet also looks merged; keep it so a
        // redispatch or attach finds it. (Its reflog holds only the creation.)
        const reflog = (await gitQuery(mainDir, ['reflog', 'show', '--format=%gs', `refs/heads/${branch}`]).catch(() => '')).split('\n').filter(Boolean)
        if (reflog.length === 1 && reflog[0].startsWith('branch: Created from')) {
          keep(branch, 'no commits on the branch yet')
          continue
        }
      }
      if (opts.dryRun) {
        results.push({path: dir, branch, action: 'would-remove', reason})
        continue
      }
      const git = await gitAt(mainDir)
      await retryOnLock(() => git.raw(['worktree', 'remove', dir]))
      // -D: whether it is merged was decided above, against origin's default branch too.
      if (branch && repo.local.has(branch)) await retryOnLock(() => git.raw(['branch', '-D', branch]))
      await retryOnLock(() => git.raw(['worktree', 'prune']))
      results.push({path: dir, branch, action: 'removed', reason})
    } catch (error) {
      keep(null, `could not inspect: ${errorMessage(error).split('\n')[0]}`)
    }
  }
  return results
}
