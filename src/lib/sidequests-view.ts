/**
 * What `sidequests list` and `sidequests conflicts` compute. Shared by the
 * oclif commands and the start-up fast path (src/fast.ts), so both give the
 * same answer byte for byte; their views are in ./views/.
 */
import {conflictsWith, type Registry, type Conflict, type SidequestRecord} from './registry/index.js'
import type {Rendered} from './views/facts.js'
import {renderSidequests as renderList} from './views/workers.js'

export async function listSidequests(registry: Registry, all: boolean): Promise<SidequestRecord[]> {
  return all ? registry.all() : registry.active()
}

/** The fast path's spelling of views/workers.ts renderSidequests (src/fast.ts is not ours to reshape here). */
export function renderSidequests(records: SidequestRecord[], all: boolean, tty: boolean, width: number | undefined, now: Date): Rendered {
  return renderList(records, all, {tty, width, now})
}

/**
 * NOTE: agents call this in loops. With no active worker it asks git
 * nothing; otherwise a path inside a worker's worktree or checkout needs no
 * git call either, and any other path one `git rev-parse` per repository.
 */
export async function findSidequestConflicts(registry: Registry, paths: string[], cwd: string, warn: (m: string) => void): Promise<{conflicts: Conflict[]; activeCount: number}> {
  const active = await registry.active()
  if (active.length === 0) return {conflicts: [], activeCount: 0}
  const {conflicts, targets} = await conflictsWith(active, paths, cwd)
  const guessed = targets.filter((t) => t.anyRepo).map((t) => t.rel)
  if (guessed.length > 0) warn(`note: ${cwd} is in no git repository, so ${guessed.join(', ')} ${guessed.length === 1 ? 'was' : 'were'} checked as relative to the root of every repository with active claims`)
  return {conflicts, activeCount: active.length}
}
