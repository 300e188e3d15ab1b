import {BaseCommand} from '../cli/base.js'
import {runDoctor, type DoctorReport} from '../lib/doctor.js'
import {print} from '../cli/print.js'
import {useColor} from '../lib/terminal.js'
import {renderDoctor} from '../lib/views/doctor.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check config, tokens, forge reachability, git, claude and state dirs, and say what to fix.'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    const report = await runDoctor({configPath: flags.config, cwd: process.cwd(), env: process.env})
    print(this, renderDoctor(report, {color: useColor(process.stdout, process.env)}))
    if (!report.ok) process.exitCode = 1
    return report
  }
}
