import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {SANDBOX_FLAGS} from '../cli/flag-table.js'
import {oclifFlags} from '../cli/flags.js'
import {print} from '../cli/print.js'
import {attachRefusal, terminalRefusal} from '../lib/attach.js'
import {checkAttach, runAttached} from '../lib/attach-session.js'
import {claudeConfigFile, findClaudeBinary, preTrust, resumeArgs} from '../lib/claude.js'
import {UsageError} from '../lib/errors.js'
import {expandBareRef} from '../lib/local-ref.js'
import {attachSandbox} from '../lib/sandbox/index.js'
import {selectByPid, selectByRef, toEntry} from '../lib/status.js'
import {renderResuming} from '../lib/views/attach.js'

export interface AttachResult {
  ref: string
  /** The resumed session's claude (its record's pid). */
  pid: number
  /** The stopped worker it resumed. */
  attached_from: number
  cwd: string
  claude_session_id: string
  exit_code: number
}

export default class Attach extends BaseCommand {
  static override summary = "Take over a stopped headless worker's Claude session in its worktree."
  static override description = 'Runs `claude --resume <session-id>` in the worker\'s worktree in this terminal, once the worker has stopped, with the permission mode, allowed tools, model and extra args from the config (claude.*). Refuses (and says how to follow it) while it is still running, and without a terminal.'
  static override examples = ['<%= config.bin %> attach my-org/api#12', '<%= config.bin %> attach --pid 4242']
  static override args = {ref: Args.string({description: 'Issue reference (owner/repo#N, URL; N or #N inside a checkout); its newest worker is used.'})}
  static override flags = {
    pid: Flags.integer({description: 'Select the worker by pid.'}),
    'claude-bin': Flags.string({description: 'The claude binary to run.', helpValue: '<path>'}),
    ...oclifFlags(SANDBOX_FLAGS),
  }

  async run(): Promise<AttachResult> {
    const {args, flags} = await this.parse(Attach)
    if (!args.ref && flags.pid === undefined) throw new UsageError('Name the worker: a ref or --pid.', 'See: dispatch status --all')
    if (args.ref && flags.pid !== undefined) throw new UsageError('Give either a ref or --pid, not both.')
    const deps = await this.deps(flags.config, {readOnly: true})
    const {config, env, streams} = deps
    const now = deps.now()
    const entries = (await deps.registry().all()).map((r) => toEntry(r, now))
    const hosts = {githubWebUrl: config.github.webUrl, forgejoBaseUrl: config.forgejo?.baseUrl}
    const record = args.ref ? selectByRef(entries, await expandBareRef(args.ref, deps.cwd, hosts), hosts) : selectByPid(entries, flags.pid!)
    const stopped = attachRefusal(record, record.active)
    if (stopped) throw stopped
    await checkAttach(deps.registry(), config, record)
    const refusal = terminalRefusal(record, streams.stdinTTY, streams.stdoutTTY)
    if (refusal) throw refusal
    const bin = findClaudeBinary(flags['claude-bin'] ?? config.claude.bin, env, deps.cwd)
    // The worktree may predate Claude's config file (headless runs need no trust): trust it now.
    const trust = await preTrust(claudeConfigFile(env), record.cwd)
    if (trust === 'corrupt') this.warnLine(`warning: ${claudeConfigFile(env)} is not valid JSON; left it alone, so Claude may ask to trust ${record.cwd}`)
    const flag = flags['no-sandbox'] ? 'none' : (flags.sandbox as 'none' | 'bubblewrap' | undefined)
    const confined = await attachSandbox({config, env}, record, bin, flag)
    print(this, renderResuming(record))
    // A worker like any interactive session: checked against the active ones and recorded while it runs.
    const session = await runAttached({registry: deps.registry(), config, record, claudeBin: bin, args: resumeArgs(record.claude_session_id!, config.claude), env: confined.env, sandbox: confined.sandbox, now})
    const code = await session.exited
    process.exitCode = code
    return {ref: record.ref, pid: session.record.pid, attached_from: record.pid, cwd: record.cwd, claude_session_id: record.claude_session_id!, exit_code: code}
  }
}
