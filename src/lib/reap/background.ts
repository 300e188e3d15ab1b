/**
 * The quiet sweep, out of the dispatch's path (issue #21): after a worker has
 * started, a detached, low-priority process (sweeper.ts) reaps the rest of
 * the repository's worktrees. The dispatch never waits for it: its cost no
 * longer grows with the worktrees a repository keeps.
 */
import {spawn} from 'node:child_process'
import {readdirSync} from 'node:fs'
import path from 'node:path'

import {helperScript} from '../dev-loader.js'
import {gitfileMtime} from './facts.js'

/** What the sweeper is told: one repository's directory under the worktree root. */
export interface SweepSpec {
  worktreeRoot: string
  stateDir: string
  owner: string
  repo: string
  /** The repository's main checkout, from the config: reap never takes it from a worktree's own .git (SPEC §11). */
  checkout: string
  /** Keep worktrees made less than this long ago (their dispatch may still be starting its worker). */
  minAgeMs: number
}

/**
 * Is there a worktree in the repository's directory old enough for the sweep
 * to judge (other than `except`, the one just dispatched into)? One readdir
 * and a stat per worktree: a repository whose worktrees are all fresh
 * starts no sweeper.
 */
export function sweepDue(spec: SweepSpec, except: string | undefined, now: number): boolean {
  const dir = path.join(spec.worktreeRoot, spec.owner, spec.repo)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return false
  }
  return names.some((n) => !n.startsWith('.') && path.join(dir, n) !== except && now - gitfileMtime(path.join(dir, n)) >= spec.minAgeMs)
}

/**
 * Start the sweeper and forget it. NOTE: detached (its own session), so
 * Ctrl-C in the terminal and the dispatch's exit do not reach it; it takes a
 * lock of its own (two dispatches never sweep one repository at once), gives
 * up after a deadline, and removes a worktree only under the dispatch lock
 * after looking again (reap/index.ts), so killing it at any moment loses
 * nothing. Its working directory is the state directory, never a worktree.
 * Never throws: a sweep that cannot start is one skipped sweep.
 */
export function sweepLater(spec: SweepSpec, env: NodeJS.ProcessEnv): void {
  try {
    const entry = helperScript(import.meta.url, 'sweeper')
    const child = spawn(process.execPath, [...entry.execArgv, entry.file, JSON.stringify(spec)], {cwd: spec.stateDir, detached: true, stdio: 'ignore', env})
    child.on('error', () => {})
    child.unref()
  } catch {
    // EAGAIN and the like: the next dispatch sweeps.
  }
}
