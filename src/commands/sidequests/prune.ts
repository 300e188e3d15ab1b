import {Flags} from '@oclif/core'
import {rm} from 'node:fs/promises'

import {BaseCommand} from '../../cli/base.js'
import {UsageError} from '../../lib/errors.js'
import {parseDuration} from '../../lib/format.js'
import {Registry, isActive} from '../../lib/registry/index.js'

export interface PruneResult {
  removed: Array<{pid: number; ref: string; ended_at: string | null; log_removed: boolean}>
  kept: number
}

function records(n: number): string {
  return `${n} ${n === 1 ? 'record' : 'records'}`
}

/** "would remove 2 records, keep 1" / "removed 1 record, kept 0". Pure. */
export function pruneSummary(result: PruneResult, dryRun: boolean): string {
  return dryRun ? `would remove ${records(result.removed.length)}, keep ${result.kept}` : `removed ${records(result.removed.length)}, kept ${result.kept}`
}

export default class SidequestsPrune extends BaseCommand {
  static override summary = 'Remove records of workers that ended (and their logs with --logs).'
  static override examples = ['<%= config.bin %> sidequests prune', '<%= config.bin %> sidequests prune --older-than 1d --logs']
  static override flags = {
    'older-than': Flags.string({description: 'Only records that ended at least this long ago (e.g. 12h, 7d, 2w; 0 for every ended one).', default: '7d'}),
    logs: Flags.boolean({description: 'Delete the workers\' logs too.'}),
    'dry-run': Flags.boolean({description: 'Show what would be removed; remove nothing.'}),
  }

  async run(): Promise<PruneResult> {
    const {flags} = await this.parse(SidequestsPrune)
    const age = parseDuration(flags['older-than'])
    if (age === undefined) throw new UsageError(`--older-than must look like 12h, 7d, 2w or 0, got ${JSON.stringify(flags['older-than'])}.`, 'For example: dispatch sidequests prune --older-than 1d')
    const config = await this.loadConfig(flags.config, {readOnly: true})
    const registry = new Registry({stateDir: config.stateDir, warn: this.warnLine})
    const cutoff = Date.now() - age
    const result: PruneResult = {removed: [], kept: 0}
    for (const r of await registry.all()) {
      const endedAt = r.ended_at ?? null
      // A record without an end whose process is gone (supervisor killed) counts from its start.
      const ended = endedAt !== null || !isActive(r)
      const when = new Date(endedAt ?? r.started_at).getTime()
      if (!ended || when > cutoff) {
        result.kept++
        continue
      }
      if (!flags['dry-run']) {
        await registry.remove(r.pid)
        if (flags.logs && r.log_path) await rm(r.log_path, {force: true})
      }
      result.removed.push({pid: r.pid, ref: r.ref, ended_at: endedAt, log_removed: Boolean(flags.logs && r.log_path)})
    }
    if (!this.jsonEnabled()) {
      const verb = flags['dry-run'] ? 'would remove' : 'removed'
      for (const r of result.removed) process.stdout.write(`${verb} ${r.pid} ${r.ref}${r.log_removed ? ' (and its log)' : ''}\n`)
      process.stderr.write(`${pruneSummary(result, Boolean(flags['dry-run']))}\n`)
    }
    return result
  }
}
