import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {askOwners} from '../cli/ask.js'
import {print} from '../cli/print.js'
import {defaultInitPath, splitOwners, writeStarterConfig, type InitResult} from '../lib/init.js'
import {examplePath} from '../lib/package-files.js'
import {processFacts} from '../lib/context.js'
import {renderInit} from '../lib/views/init.js'

export default class Init extends BaseCommand {
  static override summary = 'Write a starter config in the XDG location (never overwrites one).'
  static override description =
    'Writes a commented config with the owners dispatch may work for and where your checkouts live. The workspace root is guessed from the checkout you run it in (its parent folders, when it has an origin), else ~/src. Without --owner it asks on a terminal. Writes to $XDG_CONFIG_HOME/dispatch/config.yaml, or to --config <file>.'
  static override examples = [
    '<%= config.bin %> init --owner my-org --owner my-user',
    '<%= config.bin %> init --owner my-org,my-user --workspace-root ~/code',
    '<%= config.bin %> init --owner forgejo:acme,my-user --forgejo-url https://forgejo.example.com',
    '<%= config.bin %> init --owner my-org --github-url https://github.example.com',
    '<%= config.bin %> init',
  ]
  static override flags = {
    owner: Flags.string({description: 'An owner (user or org) dispatch may work for; repeatable, or comma-separated.', multiple: true, helpValue: '<name>'}),
    'workspace-root': Flags.string({description: 'Where your checkouts live (default: guessed from this checkout, else ~/src).', helpValue: '<dir>'}),
    layout: Flags.string({description: 'Path template of a checkout under the root (default {owner}/{repo}).', helpValue: '<template>'}),
    'forgejo-url': Flags.string({description: "Your Forgejo's web address: writes the forgejo section (needed for forgejo:name owners).", helpValue: '<url>'}),
    'github-url': Flags.string({description: 'Your GitHub Enterprise web address: writes the github section (API at <url>/api/v3).', helpValue: '<url>'}),
  }

  async run(): Promise<InitResult> {
    const {flags} = await this.parse(Init)
    // No Deps here: init writes the config that Deps would load.
    const {cwd, env, streams} = processFacts()
    let owners = splitOwners(flags.owner ?? [])
    if (owners.length === 0 && streams.stdinTTY && streams.stderrTTY && !this.jsonEnabled()) owners = splitOwners([await askOwners(cwd)])
    const file = flags.config ?? (env.DISPATCH_CONFIG || defaultInitPath(env))
    const result = await writeStarterConfig({
      file,
      owners,
      workspaceRoot: flags['workspace-root'],
      layout: flags.layout,
      forgejoUrl: flags['forgejo-url'],
      githubUrl: flags['github-url'],
      cwd,
      env,
      example: examplePath(),
    })
    print(this, renderInit(result, examplePath()), {statusFirst: true})
    return result
  }
}
