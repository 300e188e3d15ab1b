import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {print} from '../cli/print.js'
import {askForgeForReap} from '../lib/outcome/reap-forge.js'
import {reap, type ReapEntry} from '../lib/reap/index.js'
import {renderReap} from '../lib/views/reap.js'
import {configuredCheckout} from '../lib/workspace.js'

export default class Reap extends BaseCommand {
  static override summary = 'Remove dispatch worktrees that hold no work.'
  static override description =
    'Fetches origin (with --prune), then looks at every worktree under worktreeRoot: removes it (and deletes its branch, and prunes git\'s metadata) only when no active worker runs in it, it has no uncommitted or untracked changes, and every commit on it (HEAD and its branch) is on the default branch or on a remote branch, or the forge reports its pull request merged with the branch tip as the head of that pull request (a squash or rebase merge, nothing added since). Everything else is kept, and the output says why: commits not on any remote branch, a detached HEAD with new commits, uncommitted changes, an active worker. --dry-run fetches the same way and gives the same verdicts. Also runs quietly in the background after every dispatch\'s worker started, for that repository.'
  static override examples = ['<%= config.bin %> reap --dry-run', '<%= config.bin %> reap']
  static override flags = {
    'dry-run': Flags.boolean({description: 'Say what would be removed and why; remove nothing (origin is still fetched).'}),
  }

  async run(): Promise<ReapEntry[]> {
    const {flags} = await this.parse(Reap)
    const deps = await this.deps(flags.config, {readOnly: flags['dry-run']})
    const {config} = deps
    // The forge vouches for squash- and rebase-merged branches git cannot place (SPEC §10).
    const registry = deps.registry()
    const askForge = askForgeForReap(config, deps.forges(), () => registry.all())
    const entries = await reap({worktreeRoot: config.worktreeRoot, registry, stateDir: config.stateDir, dryRun: flags['dry-run'], fetch: true, askForge, warn: this.warnLine, checkoutOf: (owner, repo) => configuredCheckout(config, owner, repo)})
    print(this, renderReap(entries, config.worktreeRoot))
    return entries
  }
}
