import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {UsageError} from '../lib/errors.js'
import {parseDuration} from '../lib/format.js'
import {Registry} from '../lib/registry/index.js'
import {follow, selectByPid, selectByRef, selectRecent, toEntry, withActivity, withTail} from '../lib/status.js'
import {useColor} from '../lib/terminal.js'
import {renderStatusList, renderWorkerBlock, stateLabel, type WorkerRow} from '../lib/views/workers.js'

export type StatusResult = WorkerRow[] | WorkerRow

export default class Status extends BaseCommand {
  static override summary = 'Show workers, or one worker in detail with its recent activity.'
  static override description =
    'Bare: one line per worker that is running or started within --since, newest first. With a ref (newest dispatch of that issue) or --pid: its state (RUNNING, EXITED n, STOPPED by dispatch stop, KILLED (signal), CRASHED, UNKNOWN), times, cost and turns, paths, and the last --tail events of its log rendered for people. --follow streams new events until the worker exits.'
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --all --json',
    '<%= config.bin %> status my-org/api#12 --tail 30',
    '<%= config.bin %> status --pid 4242 --follow',
  ]
  static override args = {
    ref: Args.string({description: 'Issue reference (owner/repo#N or URL).'}),
  }
  static override flags = {
    pid: Flags.integer({description: 'Select the worker by pid.'}),
    since: Flags.string({description: 'Bare list: include workers started within this long (e.g. 30m, 2h, 1d).', default: '1h'}),
    all: Flags.boolean({description: 'Bare list: every recorded worker.'}),
    tail: Flags.integer({description: 'How many rendered log events to show for one worker.', default: 15, min: 0}),
    follow: Flags.boolean({description: 'Stream the worker\'s activity until it exits.'}),
  }

  async run(): Promise<StatusResult> {
    const {args, flags} = await this.parse(Status)
    const sinceMs = parseDuration(flags.since)
    if (sinceMs === undefined) throw new UsageError(`--since must look like 30m, 2h or 1d, got ${JSON.stringify(flags.since)}.`)
    if (args.ref && flags.pid !== undefined) throw new UsageError('Give either a ref or --pid, not both.')
    const config = await this.loadConfig(flags.config, {readOnly: true})
    const registry = new Registry({stateDir: config.stateDir, warn: this.warnLine})
    const now = new Date()
    const entries = (await registry.all()).map((r) => toEntry(r, now))
    const width = process.stdout.isTTY ? process.stdout.columns : 200

    const facts = {tty: Boolean(process.stdout.isTTY), width: process.stdout.columns, now}
    if (!args.ref && flags.pid === undefined) {
      if (flags.follow) throw new UsageError('--follow needs a ref or --pid.')
      const recent = await withActivity(selectRecent(entries, now, sinceMs, flags.all))
      if (!this.jsonEnabled()) {
        const out = renderStatusList(recent, flags.all, facts)
        process.stdout.write(out.stdout)
        process.stderr.write(out.stderr)
      }
      return recent
    }
    const hosts = {githubWebUrl: config.github.webUrl, forgejoBaseUrl: config.forgejo?.baseUrl}
    const chosen = args.ref ? selectByRef(entries, args.ref, hosts) : selectByPid(entries, flags.pid!)
    const [withLog] = await withActivity([chosen])
    const {entry: one, offset} = await withTail(withLog, flags.tail, width - 2)
    if (this.jsonEnabled() && !flags.follow) return one
    if (!this.jsonEnabled()) process.stdout.write(renderWorkerBlock(one, {...facts, color: useColor(process.stdout, process.env), following: flags.follow}))
    if (!flags.follow) return one
    const end = await follow(one, () => registry.get(one.pid), (line) => !this.jsonEnabled() && process.stdout.write(`  ${line}\n`), {fromOffset: offset, width: width - 2})
    const final = toEntry(end, new Date())
    if (!this.jsonEnabled()) process.stdout.write(`${final.ref} ${stateLabel(final)}${final.exit_code !== undefined && final.exit_code !== null ? ` (exit code ${final.exit_code})` : ''}\n`)
    return {...final, tail: one.tail}
  }
}
