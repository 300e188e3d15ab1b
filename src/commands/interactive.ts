import {refArg} from '../cli/args.js'
import {BaseCommand} from '../cli/base.js'
import {DISPATCH_USAGE, PASS_THROUGH_HINT, splitPassThrough} from '../cli/dispatching.js'
import {commandFlags} from '../cli/flags.js'
import {runInteractiveCommand, type InteractiveOutput} from '../cli/interactive.js'

export type {InteractiveOutput} from '../cli/interactive.js'

export default class Interactive extends BaseCommand {
  static override summary = 'Open a live Claude Code session on an issue, in its worktree, with the prompt already submitted.'
  static override description =
    'Same resolution, checks, worktree and trust as headless, then a session on a surface: foreground (this terminal), tmux (a new window, or a detached session outside tmux), warp (a launch configuration), command (interactive.command from the config), or print (the line to paste). auto picks tmux inside tmux, else foreground on a terminal, else print. A surface that fails to launch falls back to print; when it was asked for by name (not auto), dispatch then exits 1.'
  static override examples = [
    '<%= config.bin %> interactive my-org/api#12',
    '<%= config.bin %> interactive my-org/api#12 --posture consult --surface tmux',
    '<%= config.bin %> interactive my-org/api#12 --surface print',
  ]
  static override args = refArg
  static override flags = commandFlags('interactive')
  static override usage = DISPATCH_USAGE
  static override strayHint = PASS_THROUGH_HINT

  async run(): Promise<InteractiveOutput> {
    const {own, claude} = splitPassThrough(this.argv)
    const {args, flags} = await this.parse(Interactive, own)
    return runInteractiveCommand(this, args.ref, flags, claude)
  }
}
