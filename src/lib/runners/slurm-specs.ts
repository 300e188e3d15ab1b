/**
 * Spec files (`<stateDir>/slurm/spec-*.json`, 0600) hand a Slurm job its
 * environment, tokens included; the job deletes its file first thing. A job
 * that never ran (cancelled by someone else while queued, refused by its
 * node, timed out in the queue) leaves its file behind, with the tokens in
 * it: `sidequests prune` removes those.
 */
import {rmSync} from 'node:fs'
import path from 'node:path'

import {isActive, type SidequestRecord} from '../registry/index.js'
import {filesIn} from '../state.js'

/**
 * A spec file no record names yet may belong to a dispatch between writing it
 * and recording the job (sbatch can take a while on a busy controller): only
 * an orphan older than this is stale.
 */
export const ORPHAN_SPEC_AGE_MS = 60 * 60 * 1000

export interface SpecFile {
  file: string
  mtimeMs: number
}

/**
 * Which spec files no job will read any more. Pure: a file is kept while the
 * record that names it is active (queued or running per the scheduler, or the
 * scheduler could not be asked); a file whose record ended or whose job the
 * scheduler forgot is stale; one no record names is stale once it is old.
 */
export function staleSpecFiles(files: readonly SpecFile[], records: readonly SidequestRecord[], now: number, orphanAgeMs = ORPHAN_SPEC_AGE_MS): string[] {
  const owner = new Map<string, SidequestRecord>()
  for (const r of records) if (r.job_spec_file) owner.set(path.resolve(r.job_spec_file), r)
  return files
    .filter(({file, mtimeMs}) => {
      const r = owner.get(path.resolve(file))
      return r ? !isActive(r) : now - mtimeMs >= orphanAgeMs
    })
    .map((f) => f.file)
}

/** The spec files in a state dir, with their ages. */
export function specFiles(stateDir: string): SpecFile[] {
  return filesIn(path.join(stateDir, 'slurm'), /^spec-[0-9a-f]+\.json$/)
}

/**
 * Remove the stale spec files of a state dir (`records` as the registry read
 * them, with the scheduler's job states). Returns the files removed, or that
 * would be with `dryRun`.
 */
export function pruneSpecFiles(stateDir: string, records: readonly SidequestRecord[], opts: {now: number; dryRun?: boolean}): string[] {
  const stale = staleSpecFiles(specFiles(stateDir), records, opts.now)
  if (!opts.dryRun) for (const file of stale) rmSync(file, {force: true})
  return stale
}
