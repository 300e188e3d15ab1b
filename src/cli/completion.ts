import type {Command, Config} from '@oclif/core'

import {addRefLayers, refCommands} from '../lib/completion/index.js'
import {FailureError} from '../lib/errors.js'

const PLUGIN = '@oclif/plugin-autocomplete'

/**
 * Rebuild the completion cache: commands and flags through
 * @oclif/plugin-autocomplete's generator, then dispatch's issue-ref layer.
 * NOTE: the generator lists every plugin's commands, so a command dispatch
 * overrides (`autocomplete` itself) would appear twice; it is shown only the
 * commands oclif would actually run.
 */
export async function rebuildCompletion(config: Config): Promise<void> {
  const plugin = config.plugins.get(PLUGIN)
  if (!plugin) throw new FailureError(`${PLUGIN} is not installed, so there is no completion to build.`, 'Reinstall dispatch (npm install -g issue-dispatch).')
  const Create = (await plugin.findCommand('autocomplete:create', {must: true})) as unknown as new (argv: string[], config: Config) => Command
  const view: Config = Object.create(config)
  view.getPluginsList = () =>
    config.getPluginsList().map((p) => Object.create(p, {commands: {value: p.commands.filter((c) => config.findCommand(c.id)?.pluginName === p.name)}}))
  await new Create([], view).run()
  await addRefLayers(config.cacheDir, config.bin, refCommands(config.commands))
}
