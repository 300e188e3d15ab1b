/** Gathering the forge's facts for reap's forge rule, before the pure decision. */
import path from 'node:path'

import type {Config} from '../config/index.js'
import type {Forges} from '../forges/index.js'
import {gitQuery, type GitPlace} from '../git.js'
import {isValidName} from '../issue-ref.js'
import {routeShortRef} from '../policy.js'
import type {SidequestRecord} from '../registry/index.js'
import {forgeLookup, outcomeTarget, type OutcomeLookup, type OutcomeTarget} from './index.js'
import type {ForgeReapFacts} from './reap-rule.js'

/**
 * Where to ask about a worktree's branch: its newest record says the forge
 * and repository; without one (records pruned), the layout
 * `<worktreeRoot>/<owner>/<repo>/<name>` and allowedOwners do. Pure.
 */
export function reapTarget(w: {path: string; branch: string; checkout: string}, records: readonly SidequestRecord[], config: Pick<Config, 'worktreeRoot' | 'allowedOwners' | 'forgejo'>): OutcomeTarget | undefined {
  const mine = records.filter((r) => path.resolve(r.cwd) === path.resolve(w.path)).sort((a, b) => b.started_at.localeCompare(a.started_at))[0]
  if (mine) {
    const t = outcomeTarget(mine)
    return t ? {...t, branch: w.branch, dir: w.checkout} : undefined
  }
  const rel = path.relative(config.worktreeRoot, w.path).split(path.sep)
  if (rel.length !== 3 || !isValidName(rel[0]) || !isValidName(rel[1])) return undefined
  try {
    const forge = routeShortRef(rel[0], config.allowedOwners, config.forgejo !== undefined).first
    return {forge, owner: rel[0], repo: rel[1], branch: w.branch, dir: w.checkout}
  } catch {
    return undefined
  }
}

/**
 * reap's `askForge`: the branch's pull request (null: none) and the one
 * commit HEAD and the branch point at. A forge that does not answer leaves
 * pullRequest undefined, so git's rules alone decide.
 */
export function askForgeForReap(config: Config, forges: Forges, records: () => Promise<SidequestRecord[]>): (w: {path: string; branch: string; checkout: string; place: GitPlace}) => Promise<ForgeReapFacts> {
  let lookup: OutcomeLookup | undefined
  let recorded: Promise<SidequestRecord[]> | undefined
  return async (w) => {
    recorded ??= records().catch(() => [])
    const target = reapTarget(w, await recorded, config)
    if (!target) return {}
    // The session (and its one deadline) starts at the first question, after reap's fetch.
    lookup ??= forgeLookup(forges, config.timeoutMs)
    const [outcome, head, branchTip] = await Promise.all([
      lookup.of(target),
      gitQuery(w.place, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).catch(() => ''),
      gitQuery(w.place, ['rev-parse', '--verify', '--quiet', `refs/heads/${w.branch}^{commit}`]).catch(() => ''),
    ])
    return {
      pullRequest: outcome.forge_error === null ? outcome.pull_request : undefined,
      ...(outcome.forge_error === null ? {} : {forgeError: outcome.forge_error}),
      tip: head && head === branchTip ? head : undefined,
    }
  }
}
