import type {Hook} from '@oclif/core'

import {EXIT, type ErrorCode} from '../lib/errors.js'
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
  let message: string
  let next: string
  let exitCode: number
  if (verdict.kind === 'ref') {
    const ref = printable(verdict.ref)
    message = `"${ref}" needs a mode: dispatch never guesses between background and live work.`
    next = `Run one of: ${MODES.map((m) => `${bin} ${m} ${ref}`).join(' | ')}`
    exitCode = EXIT.usage
  } else {
    const typed = printable(verdict.typed)
    exitCode = EXIT.unknownCommand
    if (verdict.flagsFirst) {
      message = `"${typed}" comes before the command; dispatch reads the command first.`
      next = `Put the command first: ${bin} ${printable(verdict.suggestion ?? '')}`
    } else {
      message = `"${typed}" is not a ${bin} command.`
      next = verdict.suggestion ? `Did you mean: ${bin} ${printable(verdict.suggestion)}? See: ${bin} help` : `See the commands: ${bin} help`
    }
  }
  // --json counts only before `--`, as for every command.
  const dashdash = argv.indexOf('--')
  const json = argv.slice(0, dashdash === -1 ? undefined : dashdash).includes('--json') || opts.id === '--json'
  if (json) {
    const code: ErrorCode = exitCode === EXIT.usage ? 'usage' : 'unknown_command'
    process.stdout.write(JSON.stringify({error: {code, exit_code: exitCode, message, suggestion: next}}, null, 2) + '\n')
  } else {
    process.stderr.write(`Error: ${message}\n${next}\n`)
  }
  this.exit(exitCode)
}

export default hook
