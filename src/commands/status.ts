import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {print} from '../cli/print.js'
import {budgetLine, todaysSpend} from '../lib/budget.js'
import {UsageError} from '../lib/errors.js'
import {recordKey} from '../lib/registry/index.js'
import {parseDuration} from '../lib/format.js'
import {expandBareRef} from '../lib/local-ref.js'
import {forgeLookup, withOutcomes} from '../lib/outcome/index.js'
import {type IssueEntry, type StatusEntry, follow, selectByPid, selectByRef, selectRecent, toEntry, withActivity, withTail} from '../lib/status.js'
import {renderFollowEnd, renderFollowLine, renderStatusList, renderWorkerBlock, type WorkerRow} from '../lib/views/workers.js'

/** Bare: one row per issue, its runs folded in (attempts, earlier_attempts); with a ref or --pid: one worker. */
export type StatusResult = Array<WorkerRow & Pick<IssueEntry, 'attempts' | 'earlier_attempts'>> | WorkerRow

export default class Status extends BaseCommand {
  static override summary = 'Show workers, or one worker in detail with its recent activity.'
  static override description =
    'Bare: one line per issue with a worker running or started within --since, newest first; an issue dispatched several times is one line, its newest run, with the count of attempts. With a ref (newest dispatch of that issue) or --pid: its state (RUNNING, EXITED n, STOPPED by dispatch stop, KILLED (signal), CRASHED, UNKNOWN), times, cost and turns, paths, and the last --tail events of its log rendered for people. --follow streams new events until the worker exits.'
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --all --json',
    '<%= config.bin %> status my-org/api#12 --tail 30',
    '<%= config.bin %> status --pid 4242 --follow',
  ]
  static override args = {
    ref: Args.string({description: 'Issue reference (owner/repo#N or URL; N or #N inside a checkout).'}),
  }
  static override flags = {
    pid: Flags.integer({description: 'Select the worker by pid.'}),
    since: Flags.string({description: 'Bare list: include issues with a worker started within this long (e.g. 30m, 2h, 1d).', default: '1h'}),
    all: Flags.boolean({description: 'Bare list: every issue with a recorded worker.'}),
    tail: Flags.integer({description: 'How many rendered log events to show for one worker.', default: 15, min: 0}),
    follow: Flags.boolean({description: 'Stream the worker\'s activity until it exits.'}),
    outcome: Flags.boolean({description: 'Look up what came of finished workers (branch pushed, pull request, checks, merged) with git and the forge, within timeoutMs; --no-outcome skips it and shows "-".', default: true, allowNo: true}),
  }

  async run(): Promise<StatusResult> {
    const {args, flags} = await this.parse(Status)
    const sinceMs = parseDuration(flags.since)
    if (sinceMs === undefined) throw new UsageError(`--since must look like 30m, 2h or 1d, got ${JSON.stringify(flags.since)}.`)
    if (args.ref && flags.pid !== undefined) throw new UsageError('Give either a ref or --pid, not both.')
    const deps = await this.deps(flags.config, {readOnly: true})
    const {config, streams} = deps
    const registry = deps.registry()
    const now = deps.now()
    const entries = (await registry.all()).map((r) => toEntry(r, now))
    const width = streams.width ?? 200

    const facts = {tty: streams.stdoutTTY, width: streams.stdout.columns, now}
    // Finished workers' branches are looked up on the forge, all within one timeoutMs; --follow's worker is still running.
    const outcomes = () => forgeLookup(deps.forges(), config.timeoutMs)
    const withOutcome = <T extends StatusEntry>(rows: T[]) => (flags.outcome ? withOutcomes(rows, outcomes) : rows.map((r) => ({...r, outcome: null})))
    if (!args.ref && flags.pid === undefined) {
      if (flags.follow) throw new UsageError('--follow needs a ref or --pid.')
      const recent = await withOutcome(await withActivity(selectRecent(entries, now, sinceMs, flags.all)))
      const latest = entries.reduce<(typeof entries)[number] | undefined>((a, e) => (!a || e.started_at > a.started_at ? e : a), undefined)
      print(this, renderStatusList(recent, flags.all, facts, {since: flags.since, latest}))
      // With a budget set, today's spend against it (stderr: the list stays data; silent under --json).
      if (config.budget) print(this, {stderr: budgetLine(todaysSpend(entries, now, (r) => r.active), config.budget.dailyUsd)})
      return recent
    }
    const hosts = {githubWebUrl: config.github.webUrl, forgejoBaseUrl: config.forgejo?.baseUrl}
    const chosen = args.ref ? selectByRef(entries, await expandBareRef(args.ref, deps.cwd, hosts), hosts) : selectByPid(entries, flags.pid!)
    const [withLog] = await withOutcome(await withActivity([chosen]))
    const {entry: one, offset} = await withTail(withLog, flags.tail, width - 2)
    if (this.jsonEnabled() && !flags.follow) return one
    // By ref, the newest run is shown; say how many the issue has had (the list folds them into one row).
    const attempts = args.ref ? entries.filter((e) => e.ref.toLowerCase() === one.ref.toLowerCase()).length : undefined
    print(this, {stdout: renderWorkerBlock({...one, attempts}, {...facts, color: streams.color, following: flags.follow})})
    if (!flags.follow) return one
    const end = await follow(one, () => registry.get(recordKey(one)), (line) => print(this, {stdout: renderFollowLine(line)}), {fromOffset: offset, width: width - 2})
    const final = toEntry(end, deps.now())
    print(this, {stdout: renderFollowEnd(final)})
    return {...final, tail: one.tail}
  }
}
