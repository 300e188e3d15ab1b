import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {runDoctor, type DoctorReport} from '../lib/doctor.js'
import {print} from '../cli/print.js'
import {processFacts} from '../lib/context.js'
import {renderDoctor} from '../lib/views/doctor.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check config, tokens, forge reachability, git, claude and state dirs, and say what to fix.'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json', '<%= config.bin %> doctor --runner slurm']
  static override flags = {
    runner: Flags.string({description: 'Check for this runner (default: runner.kind from config); slurm adds the Slurm tools, the controller and the shared roots.', options: ['local', 'slurm']}),
  }

  async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    const {cwd, env, streams} = processFacts()
    const report = await runDoctor({configPath: flags.config, cwd, env, runner: flags.runner as 'local' | 'slurm' | undefined})
    print(this, renderDoctor(report, {color: streams.color}))
    if (!report.ok) process.exitCode = 1
    return report
  }
}
