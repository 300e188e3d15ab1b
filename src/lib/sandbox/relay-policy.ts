// Which dispatch commands a sandboxed worker may have carried out by the
// relay (relay.ts), outside its sandbox, as the operator. Pure.

/** Commands that dispatch workers (sandboxed in turn) or only read. */
const RELAYED = new Set(['headless', 'cascade', 'status'])
const RELAYED_SIDEQUESTS = new Set(['list', 'conflicts'])

/**
 * Flags a sandboxed worker may not pass through the relay: another config
 * (one the worker wrote would name the programs dispatch runs), leaving the
 * sandbox, a claude binary of its choosing, the operator's setup over files
 * it wrote, or a worker in the main checkout instead of a worktree.
 */
const REFUSED_FLAGS = new Set(['config', 'sandbox', 'no-sandbox', 'claude-bin', 'setup', 'no-worktree'])

const LEADING_FLAGS = new Set(['--json', '--help', '-h'])
const INFO_FLAGS = new Set(['--help', '-h', '--version', '-v'])

export type RelayDecision = {ok: true; command: string} | {ok: false; message: string; suggestion: string}

const ALLOWED_TEXT = 'dispatch headless, cascade, status, sidequests list and sidequests conflicts'

/** May a sandboxed worker run `dispatch <argv>` through the relay? */
export function relayDecision(argv: readonly string[]): RelayDecision {
  for (const token of argv) {
    if (token === '--') break
    if (token.startsWith('--')) {
      const [name, value] = token.slice(2).split(/=(.*)/s)
      // --worktree=false is --no-worktree spelled another way.
      if (REFUSED_FLAGS.has(name) || (name === 'worktree' && value !== undefined && value !== 'true')) {
        return {
          ok: false,
          message: `${token.split('=')[0]} cannot be used from inside the sandbox: sub-dispatches run with the operator's config, in their own worktree and sandbox.`,
          suggestion: 'Run the command without it.',
        }
      }
    }
  }
  // `dispatch --help`, `dispatch --version`: nothing to refuse.
  if (argv.length > 0 && argv.every((t) => INFO_FLAGS.has(t))) return {ok: true, command: 'help'}
  // NOTE: a flag before the command may take a value (`--repo stop headless`): which word is the
  // command is then a parser's guess, so only flags that take none may come first.
  const first = argv.findIndex((t) => !t.startsWith('-'))
  if (argv.slice(0, first === -1 ? argv.length : first).some((t) => !LEADING_FLAGS.has(t))) {
    return {ok: false, message: 'Through the sandbox relay the command comes first: dispatch <command> [flags].', suggestion: `Allowed: ${ALLOWED_TEXT}.`}
  }
  const command = first === -1 ? undefined : argv[first]
  const sub = first === -1 ? undefined : argv[first + 1]
  if (command !== undefined && (RELAYED.has(command) || (command === 'sidequests' && sub !== undefined && RELAYED_SIDEQUESTS.has(sub)))) return {ok: true, command}
  const what = command === undefined ? 'dispatch without a command' : command === 'sidequests' ? `dispatch sidequests ${sub ?? ''}`.trim() : `dispatch ${command}`
  return {
    ok: false,
    message: `${what} is not available inside the sandbox: a sandboxed worker may run only ${ALLOWED_TEXT}.`,
    suggestion: 'Anything else is for the operator to run, outside the sandbox.',
  }
}
