import {Flags} from '@oclif/core'
import {constants as osConstants} from 'node:os'

import {BaseCommand} from '../cli/base.js'
import {dispatchOptions} from '../cli/dispatching.js'
import {oclifFlags} from '../cli/flags.js'
import {DISPATCH_FLAGS, RUNNER_FLAGS} from '../cli/flag-table.js'
import {runWatch} from '../lib/watch/loop.js'
import {jsonReporter, plainReporter, terminalReporter} from '../lib/watch/report.js'
import {watchSettings} from '../lib/watch/settings.js'
import {dispatchStarter} from '../lib/watch/start.js'

const {'claude-bin': claudeBin, 'permission-mode': permissionMode, 'allowed-tools': allowedTools, model, 'max-budget-usd': maxBudgetUsd, sandbox, 'no-sandbox': noSandbox} = DISPATCH_FLAGS

export default class Watch extends BaseCommand {
  static override summary = 'Carry labelled issues to merged pull requests: start, retry, resume on failed checks and reviews, reap.'
  static override description =
    'Each pass lists the open issues carrying the label, stops workers that stalled or whose issue closed, follows every run that ended (a crash or limit is retried by resuming the same Claude session after a back-off; failed checks and review feedback resume it with what they say; a merge reaps the worktree), then starts new issues oldest first within watch.maxActive and budget.dailyUsd. Everything it knows comes from the registry and the forge, so it can be stopped (Ctrl-C stops the loop, never the workers) and started again. One watch per state directory: a second exits 3. --once runs one pass (cron, CI). --json prints one JSON object per line for every transition.'
  static override examples = [
    '<%= config.bin %> watch --repo my-org/api --label dispatch',
    '<%= config.bin %> watch --once --json',
    '<%= config.bin %> watch --repo my-org/api --repo my-org/web --label ready --interval 2m --max-active 4',
  ]
  static override flags = {
    once: Flags.boolean({description: 'Run one pass and exit (for cron, CI and scripts).'}),
    repo: Flags.string({description: 'A repository to watch, as owner/repo; repeatable (default: watch.sources from config).', multiple: true, multipleNonGreedy: true, helpValue: '<owner/repo>'}),
    label: Flags.string({description: 'The label that hands an issue to watch (with --repo).', helpValue: '<label>'}),
    interval: Flags.string({description: 'Time between passes: seconds, or 90s, 5m, 1h (default: watch.intervalSeconds, else 60).', helpValue: '<duration>'}),
    'max-active': Flags.integer({description: 'Workers started by watch that may be active at once (default: watch.maxActive, else maxActive).', min: 1, helpValue: '<n>'}),
    ...oclifFlags({'claude-bin': claudeBin, 'permission-mode': permissionMode, 'allowed-tools': allowedTools, model, 'max-budget-usd': maxBudgetUsd, sandbox, 'no-sandbox': noSandbox, ...RUNNER_FLAGS}),
  }

  async run(): Promise<undefined> {
    const {flags} = await this.parse(Watch)
    const ctx = await this.context(flags.config)
    const {streams} = await this.deps(flags.config)
    const settings = watchSettings(ctx.config, {repo: flags.repo, label: flags.label, interval: flags.interval, maxActive: flags['max-active']})
    const {ref: _, ...base} = dispatchOptions('headless', '', flags, [])
    const write = (s: string) => void streams.stdout.write(s)
    const report = flags.json ? jsonReporter(write, ctx.now) : streams.stdoutTTY ? terminalReporter(write, () => streams.stdout.columns || 80) : plainReporter(write)
    this.audited = true
    this.auditRef = settings.sources.map((s) => `${s.owner}/${s.repo}:${s.label}`).join(' ')
    const {signal} = await runWatch({ctx, settings, base, start: dispatchStarter(ctx), report, once: flags.once})
    // Stopped by a signal: the loop said so (an event, or a line); the exit code says which (SPEC §9: 128 + n).
    if (signal) this.exitNow = 128 + (osConstants.signals[signal] ?? 0)
    return undefined
  }
}
