import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {relativeTime, table} from '../../lib/format.js'
import {Registry, isActive, type SidequestRecord} from '../../lib/registry.js'

export default class SidequestsList extends BaseCommand {
  static override summary = 'List active workers, oldest first, with what they claim.'
  static override description = 'A worker is active while its process is alive and is the one recorded (start time matches). --all adds workers that ended, with their exit code.'
  static override examples = ['<%= config.bin %> sidequests list', '<%= config.bin %> sidequests list --all', '<%= config.bin %> sidequests list --json | jq ".[].paths_claimed"']
  static override flags = {
    all: Flags.boolean({description: 'Include workers that ended.'}),
  }

  async run(): Promise<SidequestRecord[]> {
    const {flags} = await this.parse(SidequestsList)
    const config = await this.loadConfig(flags.config)
    const registry = new Registry({stateDir: config.stateDir, warn: this.warnLine})
    const records = flags.all ? await registry.all() : await registry.active()
    if (!this.jsonEnabled()) {
      if (records.length === 0) {
        process.stderr.write(flags.all ? 'no sidequests recorded\n' : 'no active sidequests\n')
      } else {
        const tty = Boolean(process.stdout.isTTY)
        const now = new Date()
        const state = (r: SidequestRecord) => (isActive(r) ? 'running' : r.crashed ? 'crashed' : r.ended_at ? `exited ${r.exit_code ?? '?'}` : 'unknown')
        const headers = ['REF', 'MODE', 'PID', ...(flags.all ? ['STATE'] : []), tty ? 'AGE' : 'STARTED', 'BRANCH', 'CLAIMS', 'TITLE']
        const rows = records.map((r) => [
          r.ref,
          r.mode,
          String(r.pid),
          ...(flags.all ? [state(r)] : []),
          tty ? relativeTime(r.started_at, now) : r.started_at,
          r.branch,
          r.paths_claimed.length > 0 ? r.paths_claimed.join(',') : '-',
          r.title,
        ])
        process.stdout.write(table(headers, rows, {tty, width: process.stdout.columns}) + '\n')
      }
    }
    return records
  }
}
