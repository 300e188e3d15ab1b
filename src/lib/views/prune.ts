/** `sidequests prune`: each record removed on stdout, the tally on stderr. Pure. */
import type {Rendered} from './facts.js'

export interface PruneResult {
  removed: Array<{pid: number; ref: string; ended_at: string | null; log_removed: boolean}>
  kept: number
  /** Slurm spec files (a job's environment, tokens included) whose job will never read them. */
  spec_files_removed: string[]
  /** The print surface's prompt files (stateDir/prompts) as old as the records removed. */
  prompt_files_removed: string[]
}

function records(n: number): string {
  return `${n} ${n === 1 ? 'record' : 'records'}`
}

/** "would remove 2 records, keep 1" / "removed 1 record, kept 0". */
function pruneSummary(result: PruneResult, dryRun: boolean): string {
  return dryRun ? `would remove ${records(result.removed.length)}, keep ${result.kept}` : `removed ${records(result.removed.length)}, kept ${result.kept}`
}

export function renderPrune(result: PruneResult, dryRun: boolean): Rendered {
  const verb = dryRun ? 'would remove' : 'removed'
  return {
    stdout:
      result.removed.map((r) => `${verb} ${r.pid} ${r.ref}${r.log_removed ? ' (and its log)' : ''}\n`).join('') +
      result.spec_files_removed.map((file) => `${verb} ${file} (a Slurm job's environment that no job will read)\n`).join('') +
      result.prompt_files_removed.map((file) => `${verb} ${file} (a prompt file for a session started by hand)\n`).join(''),
    stderr: `${pruneSummary(result, dryRun)}\n`,
  }
}
