/** What a test reads back from a sandbox's state: registry records, stand-in claude runs, audit lines. */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import type {Sandbox} from './helpers.js'

/** Every registry record under the sandbox's state dir (`sidequests/<pid>.json`, `sidequests/slurm-<job id>.json`). */
export function records(sb: Sandbox): Array<Record<string, any>> {
  const dir = path.join(sb.stateDir, 'sidequests')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => /^(\d+|slurm-\d+)\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')))
}

/** What each stand-in claude recorded about how it was started. */
export function standIns(sb: Sandbox): Array<{argv: string[]; cwd: string; env: Record<string, string>; pid: number; stdin: string | null}> {
  if (!existsSync(sb.recordDir)) return []
  return readdirSync(sb.recordDir).map((f) => JSON.parse(readFileSync(path.join(sb.recordDir, f), 'utf8')))
}

/** The audit log's lines, parsed. */
export function auditLines(sb: Sandbox): Array<Record<string, any>> {
  const file = path.join(sb.stateDir, 'audit.jsonl')
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []
}
