import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import type {SimpleGit} from 'simple-git'

import {errorMessage} from './errors.js'
import {gitAt} from './git.js'
import {Registry, isActive} from './registry.js'
import {defaultBranch, retryOnLock} from './worktree.js'

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

async function branchState(main: SimpleGit, branch: string): Promise<'exists' | 'missing' | 'gone-upstream'> {
  const local = await main.raw(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).catch(() => '')
  if (!local.trim()) return 'missing'
  const upstream = await main.raw(['config', '--get', `branch.${branch}.merge`]).catch(() => '')
  if (upstream.trim()) {
    const remote = (await main.raw(['config', '--get', `branch.${branch}.remote`]).catch(() => '')).trim() || 'origin'
    const tracking = await main.raw(['rev-parse', '--verify', '--quiet', `refs/remotes/${remote}/${upstream.trim().replace(/^refs\/heads\//, '')}`]).catch(() => '')
    if (!tracking.trim()) return 'gone-upstream'
  }
  return 'exists'
}

/**
 * Remove dispatch worktrees whose branch is merged into the default branch or
 * gone (SPEC §4); never a dirty or unmerged one, never one an active worker
 * runs in. Returns one entry per worktree looked at.
 */
export async function reap(opts: ReapOptions): Promise<ReapEntry[]> {
  const active = await new Registry({stateDir: opts.stateDir}).active().catch(() => [])
  const busy = new Map(active.map((r) => [path.resolve(r.cwd), r]))
  const fetched = new Set<string>()
  const results: ReapEntry[] = []
  for (const dir of candidates(opts.worktreeRoot, opts.only)) {
    const keep = (branch: string | null, reason: string) => results.push({path: dir, branch, action: 'kept', reason})
    if (!existsSync(path.join(dir, '.git'))) {
      keep(null, 'not a git worktree')
      continue
    }
    try {
      const wt = await gitAt(dir)
      const common = path.resolve(dir, await wt.revparse(['--git-common-dir']))
      const mainDir = path.basename(common) === '.git' ? path.dirname(common) : common
      const main = await gitAt(mainDir)
      const head = (await wt.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim()
      const branch = head || null
      if (branch && !branch.startsWith('dispatch/')) {
        keep(branch, 'not a dispatch branch')
        continue
      }
      const worker = busy.get(path.resolve(dir))
      if (worker && isActive(worker)) {
        keep(branch, `active worker pid ${worker.pid} (${worker.ref})`)
        continue
      }
      const dirty = (await wt.raw(['status', '--porcelain', '--untracked-files=normal'])).trim()
      if (dirty) {
        keep(branch, 'uncommitted changes')
        continue
      }
      if (opts.fetch && !fetched.has(mainDir)) {
        fetched.add(mainDir)
        const remotes = await main.getRemotes()
        if (remotes.some((r) => r.name === 'origin')) {
          await (await gitAt(mainDir, {timeoutMs: 15_000})).raw(['fetch', '--quiet', '--prune', 'origin']).catch(() => undefined)
        }
      }
      let reason: string
      const state = branch ? await branchState(main, branch) : 'missing'
      if (state === 'missing') {
        reason = 'branch gone'
      } else if (state === 'gone-upstream') {
        reason = 'branch deleted upstream'
      } else {
        const def = await defaultBranch(main)
        const targets = [...new Set([def.startPoint, def.name])]
        let merged = false
        for (const target of targets) {
          const ok = await main.raw(['merge-base', '--is-ancestor', branch!, target]).then(
            () => true,
            () => false,
          )
          if (ok) merged = true
        }
        if (!merged) {
          keep(branch, `not merged into ${def.name}`)
          continue
        }
        // A branch nobody has committed to yet also looks "merged"; keep it so a
        // redispatch or attach finds it. (Its reflog holds only the creation.)
        const reflog = (await main.raw(['reflog', 'show', '--format=%gs', `refs/heads/${branch}`]).catch(() => '')).split('\n').filter(Boolean)
        if (reflog.length === 1 && reflog[0].startsWith('branch: Created from')) {
          keep(branch, 'no commits on the branch yet')
          continue
        }
        reason = `merged into ${def.name}`
      }
      if (opts.dryRun) {
        results.push({path: dir, branch, action: 'would-remove', reason})
        continue
      }
      await retryOnLock(() => main.raw(['worktree', 'remove', dir]))
      // -D: whether it is merged was decided above, against origin's default branch too.
      if (branch && state !== 'missing') await retryOnLock(() => main.raw(['branch', '-D', branch]))
      await retryOnLock(() => main.raw(['worktree', 'prune']))
      results.push({path: dir, branch, action: 'removed', reason})
    } catch (error) {
      keep(null, `could not inspect: ${errorMessage(error).split('\n')[0]}`)
    }
  }
  return results
}
