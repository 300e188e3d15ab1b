import {BaseCommand} from '../../cli/base.js'
import {print} from '../../cli/print.js'
import {refsToComplete} from '../../lib/completion/index.js'
import {createDeps} from '../../lib/context.js'

/**
 * What shell completion offers where a command takes an issue ref. Normally
 * answered by the start-up fast path (src/fast.ts); this is the same answer
 * through oclif (bin/dev.js).
 */
export default class AutocompleteRefs extends BaseCommand {
  static override hidden = true
  static override summary = 'Print the refs of active and recent workers, newest first, one per line.'

  async run(): Promise<string[]> {
    const {flags} = await this.parse(AutocompleteRefs)
    // Silent on purpose (a warning would land in the command line being completed), so not this.deps().
    const refs = await refsToComplete(() => createDeps({configPath: flags.config, readOnly: true, warn: () => {}, noScheduler: true}))
    print(this, {stdout: refs.map((r) => r + '\n').join('')})
    return refs
  }
}
