import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {UsageError} from '../lib/errors.js'
import {duration, parseDuration, relativeTime, table} from '../lib/format.js'
import {Registry} from '../lib/registry.js'
import {follow, selectByPid, selectByRef, selectRecent, stateLabel, toEntry, withTail, type StatusEntry} from '../lib/status.js'
import {inertLine, paint, useColor} from '../lib/terminal.js'

export type StatusResult = StatusEntry[] | StatusEntry

/** Running and clean exits read green, failures red, a worker that vanished without an end yellow. */
function stateColour(e: StatusEntry): 'green' | 'yellow' | 'red' {
  if (e.state === 'running' || (e.state === 'exited' && e.exit_code === 0)) return 'green'
  return e.state === 'unknown' || e.state === 'stopped' ? 'yellow' : 'red'
}

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

    if (!args.ref && flags.pid === undefined) {
      if (flags.follow) throw new UsageError('--follow needs a ref or --pid.')
      const recent = selectRecent(entries, now, sinceMs, flags.all)
      if (!this.jsonEnabled()) this.printList(recent, now, flags.all)
      return recent
    }
    const hosts = {githubWebUrl: config.github.webUrl, forgejoBaseUrl: config.forgejo?.baseUrl}
    const {entry: one, offset} = await withTail(args.ref ? selectByRef(entries, args.ref, hosts) : selectByPid(entries, flags.pid!), flags.tail, width - 2)
    if (this.jsonEnabled() && !flags.follow) return one
    if (!this.jsonEnabled()) this.printBlock(one, now)
    if (!flags.follow) return one
    const end = await follow(one, () => registry.get(one.pid), (line) => !this.jsonEnabled() && process.stdout.write(`  ${line}\n`), {fromOffset: offset, width: width - 2})
    const final = toEntry(end, new Date())
    if (!this.jsonEnabled()) process.stdout.write(`${final.ref} ${stateLabel(final)}${final.exit_code !== undefined && final.exit_code !== null ? ` (exit code ${final.exit_code})` : ''}\n`)
    return {...final, tail: one.tail}
  }

  private printList(list: StatusEntry[], now: Date, all: boolean): void {
    if (list.length === 0) {
      process.stderr.write(all ? 'no workers recorded\n' : 'no workers running or started in that time (try --all)\n')
      return
    }
    const tty = Boolean(process.stdout.isTTY)
    const rows = list.map((e) => [stateLabel(e), String(e.pid), e.ref, e.mode, tty ? relativeTime(e.started_at, now) : e.started_at, e.title])
    process.stdout.write(table(['STATE', 'PID', 'REF', 'MODE', tty ? 'STARTED' : 'STARTED_AT', 'TITLE'], rows, {tty, width: process.stdout.columns}) + '\n')
  }

  private printBlock(e: StatusEntry, now: Date): void {
    const lines = [
      `ref       ${inertLine(e.ref)}: ${inertLine(e.title)}`,
      `pid       ${e.pid}`,
      `state     ${paint(stateLabel(e), stateColour(e), useColor(process.stdout, process.env))}${e.error ? ` (${inertLine(e.error)})` : ''}`,
      `exit code ${e.exit_code ?? '-'}`,
      `started   ${e.started_at} (${relativeTime(e.started_at, now)})`,
      `duration  ${duration(e.duration_ms)}`,
      ...(e.cost_usd !== undefined && e.cost_usd !== null ? [`cost      $${e.cost_usd.toFixed(4)}`] : []),
      ...(e.num_turns !== undefined && e.num_turns !== null ? [`turns     ${e.num_turns}`] : []),
      `mode      ${e.mode}${e.mode === 'cascade' ? ` (depth ${e.cascade_depth})` : ''}`,
      `cwd       ${e.cwd}`,
      `branch    ${e.branch}`,
      `log       ${e.log_path ?? '-'}`,
      ...(e.paths_claimed.length > 0 ? [`claims    ${e.paths_claimed.join(', ')}`] : []),
      ...(e.claude_session_id ? [`session   ${e.claude_session_id}`] : []),
    ]
    process.stdout.write(lines.join('\n') + '\n')
    if (e.tail && e.tail.length > 0) process.stdout.write(`\nlast ${e.tail.length} event(s):\n${e.tail.map((l) => `  ${l}`).join('\n')}\n`)
  }
}
