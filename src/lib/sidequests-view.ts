/**
 * What `sidequests list` and `sidequests conflicts` compute and print. Shared
 * by the oclif commands and the start-up fast path (src/fast.ts), so both
 * give the same answer byte for byte.
 */
import {Registry, conflictsWith, type Conflict, type SidequestRecord} from './registry/index.js'
import {toEntry} from './status.js'
import {renderSidequestList, type Rendered} from './views/workers.js'
import {inertLine} from './terminal.js'

export async function listSidequests(stateDir: string, all: boolean, warn: (m: string) => void): Promise<SidequestRecord[]> {
  const registry = new Registry({stateDir, warn})
  return all ? registry.all() : registry.active()
}

/** `sidequests list`: the machine-friendly view of the rows `status` shows (src/lib/views/workers.ts). */
export function renderSidequests(records: SidequestRecord[], all: boolean, tty: boolean, width: number | undefined, now: Date): Rendered {
  return renderSidequestList(records.map((r) => toEntry(r, now)), all, {tty, width, now})
}

/**
 * NOTE: agents call this in loops. With no active worker it asks git
 * nothing; otherwise a path inside a worker's worktree or checkout needs no
 * git call either, and any other path one `git rev-parse` per repository.
 */
export async function findSidequestConflicts(stateDir: string, paths: string[], cwd: string, warn: (m: string) => void): Promise<{conflicts: Conflict[]; activeCount: number}> {
  const active = await new Registry({stateDir, warn}).active()
  if (active.length === 0) return {conflicts: [], activeCount: 0}
  const {conflicts, targets} = await conflictsWith(active, paths, cwd)
  const guessed = targets.filter((t) => t.anyRepo).map((t) => t.rel)
  if (guessed.length > 0) warn(`note: ${cwd} is in no git repository, so ${guessed.join(', ')} ${guessed.length === 1 ? 'was' : 'were'} checked as relative to the root of every repository with active claims`)
  return {conflicts, activeCount: active.length}
}

export function renderConflicts(conflicts: Conflict[], activeCount: number): {stdout: string; stderr: string} {
  if (conflicts.length === 0) return {stdout: '', stderr: `no conflicts with ${activeCount} active worker(s)\n`}
  const lines = conflicts.map((c) => {
    const how = c.reason === 'exact' ? 'claims exactly' : c.reason === 'ancestor' ? 'claims a parent of' : 'claims something inside'
    return `${inertLine(c.ref)} (pid ${c.pid}) ${how} ${c.path}${c.repo ? ` in ${inertLine(c.repo)}` : ''}: ${c.claim}\n`
  })
  return {stdout: lines.join(''), stderr: ''}
}
