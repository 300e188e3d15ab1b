import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {print} from '../../cli/print.js'
import type {SidequestRecord} from '../../lib/registry/index.js'
import {listSidequests} from '../../lib/sidequests-view.js'
import {renderSidequests} from '../../lib/views/workers.js'

export default class SidequestsList extends BaseCommand {
  static override summary = 'List active workers, oldest first, with what they claim.'
  static override description = 'A worker is active while its process is alive and is the one recorded (start time matches). --all adds workers that ended, with their exit code.'
  static override examples = ['<%= config.bin %> sidequests list', '<%= config.bin %> sidequests list --all', '<%= config.bin %> sidequests list --json | jq ".[].paths_claimed"']
  static override flags = {
    all: Flags.boolean({description: 'Include workers that ended.'}),
  }

  async run(): Promise<SidequestRecord[]> {
    const {flags} = await this.parse(SidequestsList)
    const deps = await this.deps(flags.config, {readOnly: true})
    const records = await listSidequests(deps.registry(), flags.all)
    print(this, renderSidequests(records, flags.all, {tty: deps.streams.stdoutTTY, width: deps.streams.stdout.columns, now: deps.now()}))
    return records
  }
}
