/**
 * The background sweeper's entry point (background.ts starts it): reap one
 * repository's worktrees quietly, at the lowest CPU priority, under a lock
 * of its own, within a deadline. Prints nothing; exits 0 whatever happens.
 */
import {setPriority} from 'node:os'
import path from 'node:path'

import {useGitEnv} from '../git.js'
import {Registry} from '../registry/index.js'
import type {SweepSpec} from './background.js'
import {reap} from './index.js'

/** A sweep still running after this long stops: the next dispatch sweeps again (and its cache keeps the finished part). */
const DEADLINE_MS = 10 * 60_000

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as SweepSpec
  useGitEnv(process.env)
  try {
    // Git children inherit it: the sweep yields to the worker and to the next dispatch.
    setPriority(19)
  } catch {}
  const {default: lockfile} = await import('proper-lockfile')
  const {mkdir} = await import('node:fs/promises')
  const lockPath = path.join(spec.stateDir, 'locks', `sweep-${spec.owner}+${spec.repo}`)
  await mkdir(path.dirname(lockPath), {recursive: true, mode: 0o700})
  let release: () => Promise<void>
  try {
    // No retries: a sweep of this repository is running; it covers this one.
    release = await lockfile.lock(lockPath, {realpath: false, lockfilePath: `${lockPath}.lock`, stale: 10_000, update: 1000, retries: 0, onCompromised: () => {}})
  } catch {
    return
  }
  try {
    await reap({worktreeRoot: spec.worktreeRoot, registry: new Registry({stateDir: spec.stateDir}), stateDir: spec.stateDir, dryRun: false, only: {owner: spec.owner, repo: spec.repo}, fetch: true, minAgeMs: spec.minAgeMs, quiet: true, checkoutOf: (owner, repo) => (owner === spec.owner && repo === spec.repo ? spec.checkout : undefined)})
  } finally {
    await release().catch(() => {})
  }
}

// NOTE: no terminal and nobody listening: a hang-up must not take the sweep down halfway (it would be harmless, but pointless).
process.on('SIGHUP', () => {})
setTimeout(() => process.exit(0), DEADLINE_MS).unref()
main().then(
  () => process.exit(0),
  () => process.exit(0),
)
