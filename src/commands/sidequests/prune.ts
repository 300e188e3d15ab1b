import {Flags} from '@oclif/core'
import {rm} from 'node:fs/promises'

import {BaseCommand} from '../../cli/base.js'
import {print} from '../../cli/print.js'
import {UsageError} from '../../lib/errors.js'
import {parseDuration} from '../../lib/format.js'
import {isActive, recordKey} from '../../lib/registry/index.js'
import {pruneSpecFiles} from '../../lib/runners/slurm-specs.js'
import {renderPrune, type PruneResult} from '../../lib/views/prune.js'

export type {PruneResult} from '../../lib/views/prune.js'

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
    const deps = await this.deps(flags.config, {readOnly: true})
    const registry = deps.registry()
    const cutoff = deps.now().getTime() - age
    const result: PruneResult = {removed: [], kept: 0, spec_files_removed: []}
    const all = await registry.all()
    for (const r of all) {
      const endedAt = r.ended_at ?? null
      // A record without an end whose process is gone (supervisor killed) counts from its start.
      const ended = endedAt !== null || !isActive(r)
      const when = new Date(endedAt ?? r.started_at).getTime()
      if (!ended || when > cutoff) {
        result.kept++
        continue
      }
      if (!flags['dry-run']) {
        await registry.remove(recordKey(r))
        if (flags.logs && r.log_path) await rm(r.log_path, {force: true})
      }
      result.removed.push({pid: r.pid, ref: r.ref, ended_at: endedAt, log_removed: Boolean(flags.logs && r.log_path)})
    }
    // Whatever its age: a spec file no job will read holds tokens and nothing else.
    result.spec_files_removed = pruneSpecFiles(deps.config.stateDir, all, {now: deps.now().getTime(), dryRun: flags['dry-run']})
    print(this, renderPrune(result, Boolean(flags['dry-run'])))
    return result
  }
}
