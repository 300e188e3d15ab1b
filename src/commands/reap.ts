import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {reap, type ReapEntry} from '../lib/reap.js'

export default class Reap extends BaseCommand {
  static override summary = 'Remove dispatch worktrees whose branch is merged or gone.'
  static override description =
    'Looks at every worktree under worktreeRoot: removes it (and deletes its branch, and prunes git\'s metadata) when it is clean and its branch is merged into the default branch, deleted upstream, or gone. Never touches a dirty or unmerged worktree, or one an active worker runs in. Also runs quietly before every dispatch, for that repository.'
  static override examples = ['<%= config.bin %> reap --dry-run', '<%= config.bin %> reap']
  static override flags = {
    'dry-run': Flags.boolean({description: 'Say what would be removed; remove nothing.'}),
  }

  async run(): Promise<ReapEntry[]> {
    const {flags} = await this.parse(Reap)
    const config = await this.loadConfig(flags.config, {readOnly: flags['dry-run']})
    const entries = await reap({worktreeRoot: config.worktreeRoot, stateDir: config.stateDir, dryRun: flags['dry-run'], fetch: !flags['dry-run']})
    if (!this.jsonEnabled()) {
      if (entries.length === 0) process.stderr.write(`no dispatch worktrees under ${config.worktreeRoot}\n`)
      for (const e of entries) {
        const verb = e.action === 'removed' ? 'removed     ' : e.action === 'would-remove' ? 'would remove' : 'kept        '
        process.stdout.write(`${verb} ${e.path}${e.branch ? ` (${e.branch})` : ''}: ${e.reason}\n`)
      }
    }
    return entries
  }
}
