import {Args, Errors} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {print} from '../../cli/print.js'
import type {Conflict} from '../../lib/registry/index.js'
import {reportError} from '../../lib/report.js'
import {findSidequestConflicts} from '../../lib/sidequests-view.js'
import {renderConflicts} from '../../lib/views/conflicts.js'

export default class SidequestsConflicts extends BaseCommand {
  static override summary = 'Show active workers whose claimed paths overlap the given paths.'
  static override description =
    'Exit 0: no overlap; 1: at least one; 2: trouble (bad config, unreadable registry). Claims belong to a repository: a path in its checkout or any of its worktrees compares against the claims of that repository only, after resolving relative parts and symlinks. From a directory in no git repository, a relative path is checked against every repository\'s claims. Reasons: exact, ancestor (a claim contains the path), descendant (the path contains a claim).'
  static override examples = ['<%= config.bin %> sidequests conflicts src/auth', '<%= config.bin %> sidequests conflicts src/api.ts docs/ --json']
  static override args = {
    path: Args.string({description: 'Paths you are about to edit (relative to the current directory, in the checkout or any worktree).', required: true}),
  }
  static override strict = false

  async run(): Promise<Conflict[]> {
    const {argv, flags} = await this.parse(SidequestsConflicts)
    const deps = await this.deps(flags.config, {readOnly: true})
    const {conflicts, activeCount} = await findSidequestConflicts(deps.registry(), argv as string[], deps.cwd, this.warnLine)
    print(this, renderConflicts(conflicts, activeCount))
    process.exitCode = conflicts.length > 0 ? 1 : 0
    return conflicts
  }

  /** Any trouble is exit 2 here, so scripts can tell "conflict" (1) from "could not tell" (2). */
  protected override async catch(err: Error): Promise<void> {
    if (err instanceof Errors.ExitError) throw err
    process.exitCode = reportError(this.classify(err), this.errorSink(err), {exitCode: 2})
  }
}
