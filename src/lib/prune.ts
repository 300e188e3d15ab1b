/**
 * `sidequests prune`: remove the records of workers that ended before a
 * cutoff (their logs too, when asked), the prompt files of sessions started by
 * hand from the print surface that are as old, and Slurm spec files no job
 * will read. Returns what went (or would go, with dryRun).
 */
import {lstatSync, realpathSync, rmSync} from 'node:fs'
import path from 'node:path'

import {isWorkerLogPath} from './naming.js'
import {isActive, recordKey, type Registry} from './registry/index.js'
import {pruneSpecFiles} from './runners/slurm-specs.js'
import {filesIn} from './state.js'
import type {PruneResult} from './views/prune.js'

export interface PruneOptions {
  stateDir: string
  /** Records that ended, and prompt files written, before this (epoch ms) go. */
  cutoff: number
  now: number
  logs: boolean
  dryRun: boolean
}

export async function prune(registry: Pick<Registry, 'all' | 'remove'>, opts: PruneOptions): Promise<PruneResult> {
  const result: PruneResult = {removed: [], kept: 0, spec_files_removed: [], prompt_files_removed: []}
  const all = await registry.all()
  for (const r of all) {
    const endedAt = r.ended_at ?? null
    // A record without an end whose process is gone (supervisor killed) counts from its start.
    const ended = endedAt !== null || !isActive(r)
    const when = new Date(endedAt ?? r.started_at).getTime()
    if (!ended || when > opts.cutoff) {
      result.kept++
      continue
    }
    const log = opts.logs ? removableLog(opts.stateDir, r.log_path) : undefined
    if (!opts.dryRun) {
      await registry.remove(recordKey(r))
      if (log) rmSync(log, {force: true})
    }
    result.removed.push({pid: r.pid, ref: r.ref, ended_at: endedAt, log_removed: log !== undefined})
  }
  // Whatever its age: a spec file no job will read holds tokens and nothing else.
  result.spec_files_removed = pruneSpecFiles(opts.stateDir, all, {now: opts.now, dryRun: opts.dryRun})
  result.prompt_files_removed = prunePromptFiles(opts.stateDir, opts.cutoff, opts.dryRun)
  return result
}

/**
 * The log a record names, when it is one dispatch wrote: a path of a log's
 * shape under stateDir/logs/ that is a regular file (not a symlink). A record
 * is a file anyone with the state directory could have edited; `--logs` must
 * not become "delete whatever path a record names".
 */
function removableLog(stateDir: string, file: string | null | undefined): string | undefined {
  if (!file || !isWorkerLogPath(stateDir, file)) return undefined
  try {
    // No symlink anywhere on the way: a swapped <owner> directory must not lead the rm elsewhere.
    return lstatSync(file).isFile() && realpathSync(file) === path.resolve(file) ? file : undefined
  } catch {
    return undefined
  }
}

/**
 * The print surface's prompt files (stateDir/prompts, 0600) written before
 * `cutoff`: the operator's shell read each one when the pasted line ran, and
 * nothing else ever will.
 */
function prunePromptFiles(stateDir: string, cutoff: number, dryRun: boolean): string[] {
  const old = filesIn(path.join(stateDir, 'prompts'), /\.md$/)
    .filter((f) => f.mtimeMs <= cutoff)
    .map((f) => f.file)
  if (!dryRun) for (const file of old) rmSync(file, {force: true})
  return old
}
