import type {Hook} from '@oclif/core'

const MODES = ['headless', 'cascade', 'interactive']

/**
 * `dispatch org/repo#12` with no mode is a usage error that names the modes:
 * dispatch never guesses between background and live work. Caught here,
 * before oclif's "command not found" handling, and kept dependency-free
 * because it runs on every invocation.
 */
const hook: Hook<'init'> = async function (opts) {
  const id = opts.id ?? ''
  const looksLikeRef = /^[^\s/]+\/[^\s/#]+#\S*$/.test(id) || /^https?:\/\//i.test(id)
  if (!looksLikeRef || opts.config.findCommand(id)) return
  const message = `"${id.replace(/[^\x20-\x7e]/g, '?')}" needs a mode: dispatch never guesses between background and live work.`
  const next = `Run one of: ${MODES.map((m) => `${opts.config.bin} ${m} ${id.replace(/[^\x20-\x7e]/g, '?')}`).join(' | ')}`
  if (opts.argv.includes('--json')) {
    process.stdout.write(JSON.stringify({error: {code: 'usage', exit_code: 2, message, suggestion: next}}, null, 2) + '\n')
  } else {
    process.stderr.write(`Error: ${message}\n${next}\n`)
  }
  process.exit(2)
}

export default hook
