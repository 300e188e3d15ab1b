import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import type {SidequestRecord} from '../../lib/registry/index.js'
import {listSidequests, renderSidequests} from '../../lib/sidequests-view.js'

export default class SidequestsList extends BaseCommand {
  static override summary = 'List active workers, oldest first, with what they claim.'
  static override description = 'A worker is active while its process is alive and is the one recorded (start time matches). --all adds workers that ended, with their exit code.'
  static override examples = ['<%= config.bin %> sidequests list', '<%= config.bin %> sidequests list --all', '<%= config.bin %> sidequests list --json | jq ".[].paths_claimed"']
  static override flags = {
    all: Flags.boolean({description: 'Include workers that ended.'}),
  }

  async run(): Promise<SidequestRecord[]> {
    const {flags} = await this.parse(SidequestsList)
    const config = await this.loadConfig(flags.config, {readOnly: true})
    const records = await listSidequests(config.stateDir, flags.all, this.warnLine)
    if (!this.jsonEnabled()) {
      const out = renderSidequests(records, flags.all, Boolean(process.stdout.isTTY), process.stdout.columns, new Date())
      process.stdout.write(out.stdout)
      process.stderr.write(out.stderr)
    }
    return records
  }
}
