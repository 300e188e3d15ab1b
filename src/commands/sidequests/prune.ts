import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {print} from '../../cli/print.js'
import {UsageError} from '../../lib/errors.js'
import {parseDuration} from '../../lib/format.js'
import {prune} from '../../lib/prune.js'
import {renderPrune, type PruneResult} from '../../lib/views/prune.js'

export type {PruneResult} from '../../lib/views/prune.js'

export default class SidequestsPrune extends BaseCommand {
  static override summary = 'Remove records of workers that ended (and their logs with --logs), and prompt files as old.'
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
    const now = deps.now().getTime()
    const result = await prune(deps.registry(), {stateDir: deps.config.stateDir, cutoff: now - age, now, logs: flags.logs, dryRun: flags['dry-run']})
    print(this, renderPrune(result, Boolean(flags['dry-run'])))
    return result
  }
}
