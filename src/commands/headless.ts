import {BaseCommand} from '../cli/base.js'
import {refsArg} from '../cli/args.js'
import {FANOUT_USAGE, PASS_THROUGH_HINT, splitPassThrough, type HeadlessOutput} from '../cli/dispatching.js'
import {runDispatchCommand, type FanoutElement} from '../cli/fanout.js'
import {commandFlags} from '../cli/flags.js'

export default class Headless extends BaseCommand {
  static override summary = 'Start a detached Claude Code worker on an issue, in its own worktree.'
  static override description =
    'Resolves the issue, checks the owner allow-list and that it is open, finds the checkout, creates or reuses the worktree and branch, starts `claude -p` detached under a supervisor, writes the registry record, and returns once the worker is known healthy. Several refs, or --label with --repo, fan out: each issue gets the same checks and one line of outcome (exit 0: all started, 3: some refused, 1: some failed). Arguments after -- go to claude.'
  static override examples = [
    '<%= config.bin %> headless my-org/api#12',
    '<%= config.bin %> headless https://github.com/my-org/api/issues/12 --claims src/auth --max-budget-usd 3',
    '<%= config.bin %> headless my-org/api#12 --dry-run',
    '<%= config.bin %> headless my-org/api#12 -- --max-turns 40',
    '<%= config.bin %> headless my-org/api#12 my-org/api#13 my-org/web#4',
    '<%= config.bin %> headless --label ready --repo my-org/api --limit 10 --json',
  ]
  static override args = refsArg
  // Several refs fan out; the words are checked as refs before anything starts (src/lib/fanout/request.ts).
  static override strict = false
  static override flags = commandFlags('headless')
  static override usage = FANOUT_USAGE
  static override strayHint = PASS_THROUGH_HINT

  async run(): Promise<HeadlessOutput | FanoutElement[] | undefined> {
    const {own, claude} = splitPassThrough(this.argv)
    const {argv, flags} = await this.parse(Headless, own)
    return runDispatchCommand(this, 'headless', argv as string[], flags, claude)
  }
}
