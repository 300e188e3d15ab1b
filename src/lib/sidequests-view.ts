/**
 * What `sidequests list` and `sidequests conflicts` compute and print. Shared
 * by the oclif commands and the start-up fast path (src/fast.ts), so both
 * give the same answer byte for byte.
 */
import {relativeTime, table} from './format.js'
import {Registry, conflictsWith, isActive, type Conflict, type SidequestRecord} from './registry.js'
import {inertLine} from './terminal.js'

export async function listSidequests(stateDir: string, all: boolean, warn: (m: string) => void): Promise<SidequestRecord[]> {
  const registry = new Registry({stateDir, warn})
  return all ? registry.all() : registry.active()
}

export function renderSidequests(records: SidequestRecord[], all: boolean, tty: boolean, width: number | undefined, now: Date): {stdout: string; stderr: string} {
  if (records.length === 0) return {stdout: '', stderr: all ? 'no sidequests recorded\n' : 'no active sidequests\n'}
  const state = (r: SidequestRecord) => (isActive(r) ? 'running' : r.crashed ? 'crashed' : r.ended_at ? `exited ${r.exit_code ?? '?'}` : 'unknown')
  const headers = ['REF', 'MODE', 'PID', ...(all ? ['STATE'] : []), tty ? 'AGE' : 'STARTED', 'BRANCH', 'CLAIMS', 'TITLE']
  const rows = records.map((r) => [
    r.ref,
    r.mode,
    String(r.pid),
    ...(all ? [state(r)] : []),
    tty ? relativeTime(r.started_at, now) : r.started_at,
    r.branch,
    r.paths_claimed.length > 0 ? r.paths_claimed.join(',') : '-',
    r.title,
  ])
  return {stdout: table(headers, rows, {tty, width}) + '\n', stderr: ''}
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
