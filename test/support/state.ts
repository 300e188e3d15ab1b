/** What a test reads back from a sandbox's state: registry records, stand-in claude runs, audit lines. */
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {processStartTime} from '../../src/lib/proc.js'
import type {Sandbox} from './helpers.js'

/**
 * Every registry record under the sandbox's state dir (`sidequests/<pid>.json`,
 * `sidequests/slurm-<job id>.json`, `sidequests/print-<launch id>.json`). Regular files only: some tests plant FIFOs
 * and links among the records.
 */
export function records(sb: Sandbox): Array<Record<string, any>> {
  const dir = path.join(sb.stateDir, 'sidequests')
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) return []
  return readdirSync(dir)
    .filter((f) => /^(\d+|slurm-\d+|print-[0-9a-f-]{36})\.json$/.test(f) && lstatSync(path.join(dir, f), {throwIfNoEntry: false})?.isFile())
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

/** Plant a registry record (`sidequests/<pid>.json`, 0600 in a 0700 dir) as dispatch would write it. */
export function writeRecord(sb: Sandbox, record: Record<string, unknown>): void {
  const dir = path.join(sb.stateDir, 'sidequests')
  mkdirSync(dir, {recursive: true, mode: 0o700})
  writeFileSync(path.join(dir, `${record.pid}.json`), JSON.stringify(record), {mode: 0o600})
}

/** A schema-1 record of a headless worker on acme/api#<pid % 1000>, live when `pid` is; `extra` overrides any field. */
export function sampleRecord(pid: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    pid,
    pid_start_time: processStartTime(pid) ?? null,
    mode: 'headless',
    ref: `acme/api#${pid % 1000}`,
    forge: 'github',
    url: `https://github.com/acme/api/issues/${pid % 1000}`,
    title: `Task ${pid}`,
    started_at: new Date().toISOString(),
    parent_session: null,
    paths_claimed: [],
    cwd: '/nonexistent/wt',
    branch: `dispatch/issue-${pid % 1000}`,
    log_path: null,
    cascade_depth: 0,
    claude_session_id: null,
    ...extra,
  }
}
