/** What git in the checkout knows about a worker's branch: its tip, how far ahead it is, and what origin has. */
import path from 'node:path'

import {gitQuery} from '../git.js'

export interface LocalFacts {
  /** The default branch's name; null when git could not tell. */
  defaultBranch: string | null
  /** The local branch's commit; null when the branch (or the checkout) is gone. */
  tip: string | null
  ahead: number | null
  /** origin's commit for the branch: null when origin has no such branch, undefined when origin could not be asked. */
  remoteTip: string | null | undefined
}

/**
 * Per-checkout answers shared by every branch looked up in one command:
 * the default branch and origin's heads (one `git ls-remote`, not one per branch).
 */
export class CheckoutFacts {
  readonly #defaults = new Map<string, Promise<{name: string; startPoint: string} | null>>()
  readonly #heads = new Map<string, Promise<Map<string, string> | undefined>>()

  constructor(private readonly timeoutMs: number) {}

  defaultBranch(dir: string): Promise<{name: string; startPoint: string} | null> {
    let p = this.#defaults.get(dir)
    if (!p) {
      p = (async () => {
        const originHead = await gitQuery(dir, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], this.timeoutMs).catch(() => '')
        if (originHead.startsWith('origin/')) return {name: originHead.slice('origin/'.length), startPoint: originHead}
        // A worktree's HEAD is the worker's branch, so only the main checkout's HEAD names the default.
        const common = await gitQuery(dir, ['rev-parse', '--git-common-dir'], this.timeoutMs).catch(() => '')
        const name = common ? await gitQuery(dir, [`--git-dir=${path.resolve(dir, common)}`, 'symbolic-ref', '--quiet', '--short', 'HEAD'], this.timeoutMs).catch(() => '') : ''
        return name ? {name, startPoint: name} : null
      })()
      this.#defaults.set(dir, p)
    }
    return p
  }

  /** origin's branches and their commits, asked once per checkout; undefined when origin is missing or does not answer. */
  remoteHeads(dir: string): Promise<Map<string, string> | undefined> {
    let p = this.#heads.get(dir)
    if (!p) {
      p = gitQuery(dir, ['ls-remote', '--heads', 'origin'], this.timeoutMs).then(
        (out) => {
          const heads = new Map<string, string>()
          for (const line of out.split('\n')) {
            const [sha, ref] = line.split('\t')
            if (sha && ref?.startsWith('refs/heads/')) heads.set(ref.slice('refs/heads/'.length), sha)
          }
          return heads
        },
        () => undefined,
      )
      this.#heads.set(dir, p)
    }
    return p
  }

  async branch(dir: string, branch: string): Promise<LocalFacts> {
    const [def, tip, heads] = await Promise.all([
      this.defaultBranch(dir),
      gitQuery(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], this.timeoutMs).catch(() => ''),
      this.remoteHeads(dir),
    ])
    let ahead: number | null = null
    if (tip && def) {
      ahead = await gitQuery(dir, ['rev-list', '--count', tip, '--not', def.startPoint, '--'], this.timeoutMs).then(Number, () => null)
      if (ahead !== null && !Number.isFinite(ahead)) ahead = null
    }
    return {defaultBranch: def?.name ?? null, tip: tip || null, ahead, remoteTip: heads ? (heads.get(branch) ?? null) : undefined}
  }
}
