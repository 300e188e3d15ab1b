import {BaseCommand} from '../cli/base.js'
import {runDoctor, type DoctorReport} from '../lib/doctor.js'
import {processFacts} from '../lib/context.js'
import {inertLine, paint} from '../lib/terminal.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check config, tokens, forge reachability, git, claude and state dirs, and say what to fix.'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    const {cwd, env, streams} = processFacts()
    const report = await runDoctor({configPath: flags.config, cwd, env})
    if (!this.jsonEnabled()) {
      const colour = streams.color
      const mark = {ok: paint('✓', 'green', colour), warn: paint('!', 'yellow', colour), fail: paint('✗', 'red', colour)}
      for (const c of report.checks) {
        process.stdout.write(`${mark[c.status]} ${c.name}: ${inertLine(c.detail)}\n`)
        if (c.fix && c.status !== 'ok') process.stdout.write(`    fix: ${inertLine(c.fix)}\n`)
      }
      process.stdout.write(report.ok ? '\nReady to dispatch.\n' : '\nSome checks failed; fix them before dispatching.\n')
    }
    if (!report.ok) process.exitCode = 1
    return report
  }
}
