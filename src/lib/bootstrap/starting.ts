/**
 * Dispatches that have passed their checks but whose worker is not started
 * yet: their bootstrap (.worktreeinclude, the setup command) runs outside the
 * registry lock. Each leaves a note in `stateDir/starting/`, so other
 * dispatches count it as an active worker (its ref, claims, worktree and
 * index are taken), and so that a dispatch killed mid-setup (kill -9, a
 * closed terminal) is noticed by the next one: its setup may still run, and
 * its worktree's bootstrap never finished.
 */
import {randomBytes} from 'node:crypto'
import {existsSync, renameSync, writeFileSync} from 'node:fs'
import {readdir, unlink} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {isSameProcessAlive, processStartTime} from '../proc.js'
import {readRecordFile} from '../registry/file.js'
import type {SidequestRecord} from '../registry/index.js'
import {ensurePrivateDirs} from '../state.js'

/** A starting dispatch's note. `pid` is the dispatching process. */
export interface StartingRecord extends SidequestRecord {
  /** The setup command's shell: the leader of its own process group. */
  setup_pid?: number
  setup_start_time?: string | null
  /** true once .worktreeinclude and the setup are done. */
  bootstrap_done?: boolean
  /** The note's file (not stored in it). */
  note_file?: string
}

/** What the notes say: dispatches starting now, and worktrees a killed dispatch left half made. */
export interface StartingNotes {
  /**
   * Dispatches starting now, and setups still running after their dispatch
   * was killed (`pid` is then the setup's, and `setup_orphaned` is set).
   */
  active: Array<StartingRecord & {setup_orphaned?: boolean}>
  /** Dispatches that died before their worktree's bootstrap finished, with no setup left running. */
  unfinished: StartingRecord[]
}

export interface StartingNote {
  /** Record the setup's process group leader, so a dispatch after a kill -9 can find it. */
  setupStarted(pid: number): Promise<void>
  /** The bootstrap finished: a dispatch that dies now leaves nothing half made. */
  bootstrapped(): Promise<void>
  /** Remove the note (the worker's record is written, or the dispatch failed and undid its work). */
  forget(): Promise<void>
}

function startingDir(stateDir: string): string {
  return path.join(stateDir, 'starting')
}

/** Note a dispatch as starting. */
export async function markStarting(stateDir: string, record: Omit<SidequestRecord, 'pid' | 'pid_start_time'>): Promise<StartingNote> {
  const dir = await ensurePrivateDirs(stateDir, 'starting')
  const name = `${process.pid}-${randomBytes(4).toString('hex')}.json`
  const file = path.join(dir, name)
  let note: StartingRecord = {...record, pid: process.pid, pid_start_time: processStartTime(process.pid) ?? null, bootstrap_done: false}
  let forgotten = false
  // NOTE: synchronous: the setup's pid must be on disk before anything else runs here, so a kill -9
  // right after the setup starts still leaves a note that names it (the window is one write).
  const write = async (patch: Partial<StartingRecord>) => {
    if (forgotten) return
    note = {...note, ...patch}
    const tmp = path.join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`)
    writeFileSync(tmp, JSON.stringify(note) + '\n', {mode: 0o600, flag: 'wx'})
    renameSync(tmp, file)
  }
  await write({})
  return {
    setupStarted: (pid) => write({setup_pid: pid, setup_start_time: processStartTime(pid) ?? null}),
    bootstrapped: () => write({bootstrap_done: true}),
    forget: async () => {
      forgotten = true
      await unlink(file).catch(() => {})
    },
  }
}

/**
 * Read every note. Each is read as a record is (registry/file.ts): a FIFO, a
 * symlink (to /dev/zero, say), a huge file or someone else's file is skipped
 * with a warning, so nothing planted in the directory can hang or flood a
 * dispatch or reap. A note whose dispatch and setup are both gone and whose
 * bootstrap finished (or whose worktree is gone) is removed; notes of older
 * versions (no bootstrap_done) are read as finished.
 */
export async function startingNotes(stateDir: string, warn: (message: string) => void = () => {}): Promise<StartingNotes> {
  const dir = startingDir(stateDir)
  const out: StartingNotes = {active: [], unfinished: []}
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return out
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
    const file = path.join(dir, name)
    const r = readRecordFile(file, uid, warn) as StartingRecord | undefined
    if (!r) continue
    const note = {...r, note_file: file}
    if (isSameProcessAlive(r.pid, r.pid_start_time)) out.active.push(note)
    else if (typeof r.setup_pid === 'number' && r.bootstrap_done !== true && isSameProcessAlive(r.setup_pid, r.setup_start_time)) {
      out.active.push({...note, pid: r.setup_pid, pid_start_time: r.setup_start_time ?? null, setup_orphaned: true})
    } else if (r.bootstrap_done === false && existsSync(r.cwd)) out.unfinished.push(note)
    else await unlink(file).catch(() => {})
  }
  return out
}

/** The dispatches starting now (and setups a killed dispatch left running): they count as active workers. */
export async function startingRecords(stateDir: string, warn?: (message: string) => void): Promise<StartingRecord[]> {
  return (await startingNotes(stateDir, warn)).active
}

/**
 * Stop a setup whose dispatch was killed: SIGTERM to its process group, then
 * SIGKILL after `graceMs`. Only while its leader is the process the note
 * names (a reused pid is left alone).
 */
export async function stopOrphanSetup(note: Pick<StartingRecord, 'pid' | 'pid_start_time'>, graceMs = 5000): Promise<void> {
  const alive = () => isSameProcessAlive(note.pid, note.pid_start_time)
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-note.pid, s)
    } catch {
      // The group is gone.
    }
  }
  if (!alive()) return
  signal('SIGTERM')
  const deadline = Date.now() + graceMs
  while (alive() && Date.now() < deadline) await delay(50)
  // Its children (npm's, say) may have ignored SIGTERM: the whole group goes.
  signal('SIGKILL')
  while (alive()) await delay(50)
}
