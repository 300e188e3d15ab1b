/**
 * The print surface's hold on a worker's place (SPEC §6, #20): from the
 * moment dispatch prints the line to paste, a placeholder record (pid 0,
 * named `print-<launch id>`) holds the issue, the claims, the worktree and
 * the DISPATCH_WORKER_INDEX/DISPATCH_PORT slot, until the pasted session
 * starts (its runner then writes the ordinary interactive record and
 * removes the placeholder) or the line expires.
 *
 * Expiry: PRINT_TTL_MS (one hour). A line is pasted now or after a short
 * break, rarely hours later; holding a slot longer would keep the issue
 * refused as a duplicate for a session nobody started. The runner refuses a
 * handoff past the same time, so no session ever starts without its hold.
 */
import {rm} from 'node:fs/promises'
import path from 'node:path'

import type {Registry, SidequestRecord} from '../registry/index.js'

export const PRINT_TTL_MS = 60 * 60_000

/** The registry key of a print placeholder (see recordKey). */
export function printKey(launchId: string): string {
  return `print-${launchId}`
}

/** The handoff file a print line runs: beside the other surfaces' handoffs, named after the placeholder. */
export function printHandoffFile(stateDir: string, launchId: string): string {
  return path.join(stateDir, 'sessions', `${printKey(launchId)}.json`)
}

/** The placeholder: the session's record without a process yet. Pure. */
export function placeholderRecord(record: Omit<SidequestRecord, 'pid' | 'pid_start_time'>, launchId: string, expiresAt: number): SidequestRecord {
  return {...record, pid: 0, pid_start_time: null, supervisor_pid: null, launch_id: launchId, print_expires_at: new Date(expiresAt).toISOString()}
}

/** Is this record a print line nobody has pasted yet (or that expired)? Pure. */
export function isPrintPlaceholder(r: Pick<SidequestRecord, 'pid' | 'print_expires_at'>): boolean {
  return r.pid === 0 && typeof r.print_expires_at === 'string'
}

/** `dispatch stop` of a print line: the hold ends and the line stops working (its handoff file goes). */
export async function cancelPrint(registry: Registry, stateDir: string, r: SidequestRecord): Promise<void> {
  await rm(printHandoffFile(stateDir, r.launch_id!), {force: true})
  await registry.update(printKey(r.launch_id!), {ended_at: new Date().toISOString(), stopped: true, exit_code: null})
}
