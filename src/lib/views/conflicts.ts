/**
 * `sidequests conflicts`: who claims what the caller is about to edit. Shared
 * by the oclif command and the start-up fast path (src/fast.ts), so both give
 * the same answer byte for byte. Pure.
 */
import {workerLabel, type Conflict} from '../registry/index.js'
import {inertLine} from '../terminal.js'

import type {Rendered} from './facts.js'

const HOW: Record<Conflict['reason'], string> = {exact: 'claims exactly', ancestor: 'claims a parent of', descendant: 'claims something inside'}

export function renderConflicts(conflicts: readonly Conflict[], activeCount: number): Rendered {
  if (conflicts.length === 0) return {stdout: '', stderr: `no conflicts with ${activeCount} active worker(s)\n`}
  const lines = conflicts.map((c) => `${inertLine(c.ref)} (${workerLabel(c)}) ${HOW[c.reason] ?? HOW.descendant} ${c.path}${c.repo ? ` in ${inertLine(c.repo)}` : ''}: ${c.claim}\n`)
  return {stdout: lines.join(''), stderr: ''}
}
