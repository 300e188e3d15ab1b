import type {Hook} from '@oclif/core'

import {UnknownCommandError, UsageError, type DispatchError} from '../lib/errors.js'
import {processSink, reportError} from '../lib/report.js'
import {classifyUnknownCommand} from '../lib/unknown-command.js'

const MODES = ['headless', 'cascade', 'interactive']

const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?')

/**
 * Replaces @oclif/plugin-not-found, which names the closest command only in a
 * prompt (on a terminal) that defaults to yes and then runs the guess: with
 * `hedless acme/api#12` that would start a worker nobody asked for. Here the
 * answer is always printed, never acted on, and is JSON under --json.
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const argv = opts.argv ?? []
  const verdict = classifyUnknownCommand(opts.id, argv, {
    ids: opts.config.commands.filter((c) => !c.hidden).map((c) => c.id),
    isTopic: (id) => Boolean(opts.config.findTopic(id)),
  })
  const bin = opts.config.bin
  let error: DispatchError
  if (verdict.kind === 'ref') {
    const ref = printable(verdict.ref)
    error = new UsageError(`"${ref}" needs a mode: dispatch never guesses between background and live work.`, `Run one of: ${MODES.map((m) => `${bin} ${m} ${ref}`).join(' | ')}`)
  } else {
    const typed = printable(verdict.typed)
    if (verdict.flagsFirst) {
      error = new UnknownCommandError(`"${typed}" comes before the command; dispatch reads the command first.`, `Put the command first: ${bin} ${printable(verdict.suggestion ?? '')}`)
    } else {
      error = new UnknownCommandError(
        `"${typed}" is not a ${bin} command.`,
        verdict.suggestion ? `Did you mean: ${bin} ${printable(verdict.suggestion)}? See: ${bin} help` : `See the commands: ${bin} help`,
      )
    }
  }
  // --json counts only before `--`, as for every command.
  const dashdash = argv.indexOf('--')
  const json = argv.slice(0, dashdash === -1 ? undefined : dashdash).includes('--json') || opts.id === '--json'
  // NOTE: no this.exit(): oclif turns it into process.exit() right after the write,
  // which can cut off output still queued for a pipe. Node exits with this code once
  // the streams are flushed.
  process.exitCode = reportError(error, processSink(json))
}

export default hook
