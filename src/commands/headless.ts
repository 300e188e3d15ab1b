import {BaseCommand} from '../cli/base.js'
import {DISPATCH_USAGE, PASS_THROUGH_HINT, refArg, runHeadlessCommand, splitPassThrough, type HeadlessOutput} from '../cli/dispatching.js'
import {dispatchFlags, runnerFlags} from '../cli/flags.js'

export default class Headless extends BaseCommand {
  static override summary = 'Start a detached Claude Code worker on an issue, in its own worktree.'
  static override description =
    'Resolves the issue, checks the owner allow-list and that it is open, finds the checkout, creates or reuses the worktree and branch, starts `claude -p` detached under a supervisor, writes the registry record, and returns once the worker is known healthy. Arguments after -- go to claude.'
  static override examples = [
    '<%= config.bin %> headless my-org/api#12',
    '<%= config.bin %> headless https://github.com/my-org/api/issues/12 --claims src/auth --max-budget-usd 3',
    '<%= config.bin %> headless my-org/api#12 --dry-run',
    '<%= config.bin %> headless my-org/api#12 -- --max-turns 40',
  ]
  static override args = refArg
  static override flags = {...dispatchFlags, ...runnerFlags}
  static override usage = DISPATCH_USAGE
  static override strayHint = PASS_THROUGH_HINT

  async run(): Promise<HeadlessOutput> {
    const {own, claude} = splitPassThrough(this.argv)
    const {args, flags} = await this.parse(Headless, own)
    return runHeadlessCommand(this, 'headless', args, flags, claude)
  }
}
