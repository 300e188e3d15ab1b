import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {canonicalPath} from '../../lib/claims.js'
import {isDispatchError, toJsonError, UsageError, FailureError} from '../../lib/errors.js'
import {Registry, findConflicts, type Conflict} from '../../lib/registry.js'
import {inertLine} from '../../lib/terminal.js'

export default class SidequestsConflicts extends BaseCommand {
  static override summary = 'Show active workers whose claimed paths overlap the given paths.'
  static override description =
    'Exit 0: no overlap; 1: at least one; 2: trouble (bad config, unreadable registry). Paths are compared after resolving relative parts and symlinks. Reasons: exact, ancestor (a claim contains the path), descendant (the path contains a claim).'
  static override examples = ['<%= config.bin %> sidequests conflicts src/auth', '<%= config.bin %> sidequests conflicts src/api.ts docs/ --json']
  static override args = {
    path: Args.string({description: 'Paths you are about to edit (relative to the current directory).', required: true}),
  }
  static override strict = false

  async run(): Promise<Conflict[]> {
    const {argv, flags} = await this.parse(SidequestsConflicts)
    const paths = argv as string[]
    const config = await this.loadConfig(flags.config)
    const active = await new Registry({stateDir: config.stateDir, warn: this.warnLine}).active()
    const cwd = process.cwd()
    const conflicts = paths.flatMap((p) => findConflicts(active, canonicalPath(p, cwd)))
    if (!this.jsonEnabled()) {
      if (conflicts.length === 0) process.stderr.write(`no conflicts with ${active.length} active worker(s)\n`)
      for (const c of conflicts) {
        const how = c.reason === 'exact' ? 'claims exactly' : c.reason === 'ancestor' ? 'claims a parent of' : 'claims something inside'
        process.stdout.write(`${inertLine(c.ref)} (pid ${c.pid}) ${how} ${c.path}: ${c.claim}\n`)
      }
    }
    process.exitCode = conflicts.length > 0 ? 1 : 0
    return conflicts
  }

  /** Any trouble is exit 2 here, so scripts can tell "conflict" (1) from "could not tell" (2). */
  protected override async catch(err: Error & {exitCode?: number}): Promise<void> {
    const error = isDispatchError(err) ? err : /flag|argument/i.test(err.message) ? new UsageError(err.message.split('\n')[0]) : new FailureError(err.message)
    if (this.jsonEnabled()) this.logJson({...toJsonError(error), error: {...toJsonError(error).error, exit_code: 2}})
    else process.stderr.write(`Error: ${inertLine(error.message)}\n${error.suggestion ? inertLine(error.suggestion) + '\n' : ''}`)
    process.exitCode = 2
  }
}
