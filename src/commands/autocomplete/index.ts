import {Args, Flags, ux} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {rebuildCompletion} from '../../cli/completion.js'
import {print} from '../../cli/print.js'
import {SHELLS, autocompleteSetup, renderSetup, type AutocompleteSetup, type Shell} from '../../lib/completion/index.js'
import {UsageError} from '../../lib/errors.js'

export default class Autocomplete extends BaseCommand {
  static override summary = 'Set up shell completion of commands, flags and the issue refs of your workers.'
  static override description =
    'Builds the completion scripts and says how to load them from your shell\'s rc file (with --json: the line to add, as data). In bash and zsh, where a command takes an issue ref (status, attach, stop, headless, cascade, interactive) completion offers the refs of active workers and of workers started in the last 7 days, newest first.'
  static override examples = [
    '<%= config.bin %> autocomplete',
    '<%= config.bin %> autocomplete zsh',
    '<%= config.bin %> autocomplete bash --json',
    '<%= config.bin %> autocomplete --refresh-cache',
  ]
  static override args = {
    shell: Args.string({description: 'Shell type (default: from $SHELL).', options: [...SHELLS]}),
  }
  static override flags = {
    'refresh-cache': Flags.boolean({char: 'r', description: 'Only rebuild the completion scripts (after an upgrade); print no instructions.'}),
  }

  async run(): Promise<AutocompleteSetup | {cache_dir: string}> {
    const {args, flags} = await this.parse(Autocomplete)
    const shell = (args.shell ?? this.config.shell) as Shell
    const known = (SHELLS as readonly string[]).includes(shell)
    if (!known && !flags['refresh-cache']) {
      throw new UsageError(`Can't tell which shell to set up (SHELL says ${JSON.stringify(this.config.shell)}).`, `Name it: ${this.config.bin} autocomplete ${SHELLS.join('|')}`)
    }
    if (!this.jsonEnabled()) ux.action.start('Building the autocomplete cache')
    await rebuildCompletion(this.config)
    if (!this.jsonEnabled()) ux.action.stop()
    if (!known) return {cache_dir: this.config.cacheDir}
    const setup = autocompleteSetup(shell, this.config.bin, this.config.cacheDir)
    if (!flags['refresh-cache']) print(this, {stdout: renderSetup(setup, this.config.bin)})
    return setup
  }
}
