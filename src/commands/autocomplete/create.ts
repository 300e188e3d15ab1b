import {BaseCommand} from '../../cli/base.js'
import {rebuildCompletion} from '../../cli/completion.js'

/** What @oclif/plugin-autocomplete runs to rebuild its cache; here it also adds the issue-ref layer. */
export default class AutocompleteCreate extends BaseCommand {
  static override hidden = true
  static override summary = 'Rebuild the shell completion scripts.'

  async run(): Promise<{cache_dir: string}> {
    await this.parse(AutocompleteCreate)
    await rebuildCompletion(this.config)
    return {cache_dir: this.config.cacheDir}
  }
}
