/**
 * Claude's command line as dispatch builds it: the settings dispatch passes
 * (permission mode, tools, model, budget, and for headless workers print
 * mode with stream-json), then the extra arguments. Pure.
 */
import {UsageError} from './errors.js'

export interface ClaudeOptions {
  permissionMode: string
  allowedTools: string[]
  model?: string
  maxBudgetUsd?: number
  /** From config, then from the command line after `--`. */
  extraArgs: string[]
}

/*
 * NOTE: the prompt is never in argv. /proc/<pid>/cmdline is readable by every
 * local user, and an argument over 128 KiB (E2BIG) stops the spawn. Claude Code
 * reads the prompt from stdin instead: `claude -p` with no prompt argument reads
 * it to EOF, and an interactive `claude` whose stdin is not a terminal takes
 * stdin as its first message and opens /dev/tty for the keyboard (checked with
 * Claude Code 2.1.328).
 */

/** argv (without the binary) for a headless worker: print mode, stream-json so status can render it; the prompt goes on stdin. Pure. */
export function headlessArgs(o: ClaudeOptions): string[] {
  checkExtraArgs(o.extraArgs)
  return ['-p', '--output-format', 'stream-json', '--verbose', ...commonArgs(o)]
}

/**
 * argv (without the binary) for an interactive session; the prompt goes on
 * stdin and is submitted as the first message. No budget: claude enforces
 * --max-budget-usd only in print mode, and passing it would promise a cap
 * that does not hold. Pure.
 */
export function interactiveArgs(o: ClaudeOptions): string[] {
  return commonArgs({...o, maxBudgetUsd: undefined})
}

/** What dispatch passes in this mode, for claudeOverrides: an interactive session gets no budget. Pure. */
export function passedOptions(mode: 'headless' | 'cascade' | 'interactive', o: ClaudeOptions): ClaudeOptions {
  return mode === 'interactive' ? {...o, maxBudgetUsd: undefined} : o
}

/** argv (without the binary) for a headless run that resumes session `sessionId` (dispatch watch); the prompt goes on stdin. Pure. */
export function resumeHeadlessArgs(sessionId: string, o: ClaudeOptions): string[] {
  checkExtraArgs(o.extraArgs)
  return ['-p', '--resume', sessionId, '--output-format', 'stream-json', '--verbose', ...commonArgs(o)]
}

/**
 * argv (without the binary) to take over a stopped worker's session in this
 * terminal: the configured permission mode, tools, model and extra args, so
 * the resumed session does not fall back to claude's own defaults (and ask
 * about every tool). No budget: claude honours --max-budget-usd only with -p. Pure.
 */
export function resumeArgs(sessionId: string, o: Omit<ClaudeOptions, 'maxBudgetUsd'>): string[] {
  return ['--resume', sessionId, ...commonArgs({...o, maxBudgetUsd: undefined})]
}

/**
 * The options dispatch sets that claude takes once: given again in the extra
 * arguments (config claude.extraArgs, then the command line after `--`), the
 * later one wins. Claude Code reads the last occurrence of such an option
 * (checked with 2.1.328: `--model a --model b` asks for b), and dispatch
 * leaves its own out of the argv, so claude sees one value and the dry run,
 * the argv and the record say the same. --allowedTools adds up instead.
 */
const SINGLE_VALUE = ['--permission-mode', '--model', '--max-budget-usd'] as const

/** The value `args` give `option` last (`--opt v` or `--opt=v`), or undefined. Pure. */
function lastValue(args: readonly string[], option: string): string | undefined {
  let value: string | undefined
  for (let i = 0; i < args.length; i++) {
    if (args[i] === option && i + 1 < args.length) value = args[++i]
    else if (args[i].startsWith(option + '=')) value = args[i].slice(option.length + 1)
  }
  return value
}

/** A setting dispatch passes that an extra argument changes: both values, the extra one wins. */
export interface ClaudeOverride {
  option: string
  dispatch: string
  claude: string
}

function ownOptions(o: ClaudeOptions): Array<[(typeof SINGLE_VALUE)[number], string | undefined]> {
  return [
    ['--permission-mode', o.permissionMode],
    ['--model', o.model],
    ['--max-budget-usd', o.maxBudgetUsd === undefined ? undefined : String(o.maxBudgetUsd)],
  ]
}

/** Dispatch's settings that the extra arguments set to something else. Pure. */
export function claudeOverrides(o: ClaudeOptions): ClaudeOverride[] {
  const out: ClaudeOverride[] = []
  for (const [option, value] of ownOptions(o)) {
    const extra = lastValue(o.extraArgs, option)
    if (value !== undefined && extra !== undefined && extra !== value) out.push({option, dispatch: value, claude: extra})
  }
  return out
}

/** The line a person reads about an override (stderr, and the JSON warnings). Pure. */
export function overrideMessage(o: ClaudeOverride): string {
  return `${o.option} ${o.claude} after -- (or in claude.extraArgs) overrides dispatch's ${o.option} ${o.dispatch}: claude runs with ${o.claude}`
}

/**
 * headless workers are read through `--output-format stream-json`: an extra
 * argument that changes it would blind health checks and status. Throws a
 * usage error before anything is made. Pure.
 */
export function checkExtraArgs(extraArgs: readonly string[]): void {
  const format = lastValue(extraArgs, '--output-format')
  if (format !== undefined && format !== 'stream-json') {
    throw new UsageError(`--output-format ${format} after -- would change the output dispatch reads from a headless worker (stream-json).`, 'Leave --output-format out; `dispatch status REF` renders the worker\'s stream.')
  }
}

function commonArgs(o: ClaudeOptions): string[] {
  const own = ownOptions(o).flatMap(([option, value]) => (value === undefined || lastValue(o.extraArgs, option) !== undefined ? [] : [option, value]))
  const mode = own.indexOf('--permission-mode')
  // The permission mode first, then the tools, as before: the order people read in a dry run.
  const first = mode === -1 ? [] : own.splice(mode, 2)
  return [...first, '--allowedTools', o.allowedTools.join(','), ...own, ...o.extraArgs]
}

