import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {print} from '../../cli/print.js'
import {SHELLS, autocompleteSetup, type AutocompleteSetup, type Shell} from '../../lib/completion/index.js'
import {UsageError} from '../../lib/errors.js'

/** The line for the rc file, alone: `printf '%s\n' "$(dispatch autocomplete script bash)" >> ~/.bashrc`. */
export default class AutocompleteScript extends BaseCommand {
  static override hidden = true
  static override summary = 'Print the line that loads shell completion, for an rc file.'
  static override args = {
    shell: Args.string({description: 'Shell type (default: from $SHELL).', options: [...SHELLS]}),
  }

  async run(): Promise<AutocompleteSetup> {
    const {args} = await this.parse(AutocompleteScript)
    const shell = (args.shell ?? this.config.shell) as Shell
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`Can't tell which shell to set up (SHELL says ${JSON.stringify(this.config.shell)}).`, `Name it: ${this.config.bin} autocomplete script ${SHELLS.join('|')}`)
    const setup = autocompleteSetup(shell, this.config.bin, this.config.cacheDir)
    print(this, {stdout: setup.setup + '\n'})
    return setup
  }
}
