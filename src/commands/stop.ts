import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {print} from '../cli/print.js'
import {UsageError} from '../lib/errors.js'
import {expandBareRef} from '../lib/local-ref.js'
import {parseStopTimeout, stopWorkers, type StopTarget, type StoppedWorker} from '../lib/stop.js'
import {renderStop} from '../lib/views/stop.js'

export default class Stop extends BaseCommand {
  static override summary = 'Stop running workers: SIGINT, then SIGTERM, then SIGKILL.'
  static override description =
    'Sends SIGINT (Claude saves its session, so `dispatch attach` can resume it), then SIGTERM, then SIGKILL to the worker\'s process group, waiting --timeout seconds after each. The record is marked stopped; `dispatch status` shows STOPPED. An interactive session in tmux gets its pane closed. Exit 4 when no active worker matches the ref or pid.'
  static override examples = [
    '<%= config.bin %> stop my-org/api#12',
    '<%= config.bin %> stop --pid 4242 --timeout 10',
    '<%= config.bin %> stop --all --json',
  ]
  static override args = {ref: Args.string({description: 'Issue reference (owner/repo#N, URL; N or #N inside a checkout): stops every active worker on it.'})}
  static override flags = {
    pid: Flags.integer({description: 'Stop the worker with this pid.'}),
    all: Flags.boolean({description: 'Stop every active worker.'}),
    timeout: Flags.string({description: 'Seconds to wait after SIGINT and after SIGTERM before the next signal.', default: '5', helpValue: '<seconds>'}),
  }

  async run(): Promise<StoppedWorker[]> {
    const {args, flags} = await this.parse(Stop)
    const given = [args.ref !== undefined, flags.pid !== undefined, flags.all].filter(Boolean).length
    if (given !== 1) throw new UsageError('Name the workers to stop: a ref, --pid N, or --all (exactly one).', 'See the active workers with: dispatch sidequests list')
    const waitMs = parseStopTimeout(flags.timeout)
    // Read-only like status: with no config at all there is nothing running to stop, and saying so is no error.
    const deps = await this.deps(flags.config, {readOnly: true})
    this.audited = true
    this.auditRef = args.ref?.trim()
    const hosts = {githubWebUrl: deps.config.github.webUrl, forgejoBaseUrl: deps.config.forgejo?.baseUrl}
    const ref = args.ref === undefined ? undefined : await expandBareRef(args.ref, deps.cwd, hosts)
    if (ref !== undefined) this.auditRef = ref
    const target: StopTarget = ref !== undefined ? {ref} : flags.pid !== undefined ? {pid: flags.pid} : {all: true}
    const stopped = await stopWorkers({registry: deps.registry(), target, hosts, waitMs})
    print(this, renderStop(stopped))
    return stopped
  }
}
