import {BaseCommand} from '../cli/base.js'
import {refsArg} from '../cli/args.js'
import {FANOUT_USAGE, PASS_THROUGH_HINT, splitPassThrough, type HeadlessOutput} from '../cli/dispatching.js'
import {runDispatchCommand, type FanoutElement} from '../cli/fanout.js'
import {commandFlags} from '../cli/flags.js'

export default class Cascade extends BaseCommand {
  static override summary = 'Start a detached worker that may dispatch its own sub-workers within a depth budget.'
  static override description =
    'Like headless, but the worker is told it may split the work and start sub-workers with dispatch. The budget travels in DISPATCH_CASCADE_DEPTH: a top-level cascade starts at --depth, a nested one gets one less, and headless workers get 0 and may not dispatch at all.'
  static override examples = ['<%= config.bin %> cascade my-org/api#40', '<%= config.bin %> cascade my-org/api#40 --depth 2 --claims src/', '<%= config.bin %> cascade --label epic --repo my-org/api']
  static override args = refsArg
  // Several refs fan out; the words are checked as refs before anything starts (src/lib/fanout/request.ts).
  static override strict = false
  static override flags = commandFlags('cascade')
  static override usage = FANOUT_USAGE
  static override strayHint = PASS_THROUGH_HINT

  async run(): Promise<HeadlessOutput | FanoutElement[] | undefined> {
    const {own, claude} = splitPassThrough(this.argv)
    const {argv, flags} = await this.parse(Cascade, own)
    return runDispatchCommand(this, 'cascade', argv as string[], flags, claude)
  }
}
