/**
 * What to say when oclif finds no command for what was typed. Two cases look
 * alike to oclif and mean different things: `dispatch acme/api#12` is an issue
 * reference without a mode (exit 2: dispatch never guesses between background
 * and live work), `dispatch stauts acme/api#12` a mistyped command (exit 127,
 * like a shell, with the closest command to try). Pure, so both are tested
 * without a process; src/hooks/command-not-found.ts prints the result.
 */
import {editDistance} from './similar.js'

/** `owner/repo#N` in shape, an http(s) URL, or a bare number (`12`, `#12`): anything that reads as an issue reference, valid or not. */
export function looksLikeRef(word: string): boolean {
  return /^[^\s/:-][^\s/:]*\/[^\s/#:]+#\S*$/.test(word) || /^https?:\/\//i.test(word) || /^#?[0-9]+$/.test(word)
}

export type UnknownCommand =
  /** A reference where the mode belongs. */
  | {kind: 'ref'; ref: string}
  /**
   * Not a command. `suggestion` is the command to try (spaced, without the
   * bin), when one is close; with `flagsFirst` (flags typed before a real
   * command) it is the whole command line in the right order.
   */
  | {kind: 'unknown'; typed: string; suggestion?: string; flagsFirst?: boolean}

export interface KnownCommands {
  /** Command ids as oclif has them (`sidequests:list`). */
  ids: readonly string[]
  isTopic(id: string): boolean
}

/**
 * The command closest to what was typed, or undefined when none is close
 * enough to be worth naming. A command matches on its full name or on its
 * last word (`list` → `sidequests list`), and a prefix of two letters or more
 * counts as close (`doc` → `doctor`).
 */
export function closestCommand(typed: string, ids: readonly string[]): string | undefined {
  const want = typed.toLowerCase()
  let best: {id: string; distance: number} | undefined
  for (const id of [...ids].sort()) {
    const spaced = id.replaceAll(':', ' ')
    const leaf = spaced.split(' ').at(-1)!
    const prefix = want.length >= 2 && (spaced.startsWith(want) || leaf.startsWith(want))
    const distance = prefix ? 0.5 : Math.min(editDistance(want, spaced), editDistance(want, leaf))
    if (!best || distance < best.distance) best = {id: spaced, distance}
  }
  if (!best) return undefined
  return best.distance <= Math.max(2, Math.ceil(want.length / 3)) ? best.id : undefined
}

/**
 * Classify what oclif could not run. `id` and `argv` are oclif's: with a space
 * topic separator it joins the leading words into the id
 * (`stauts acme/api#1` → `stauts:acme/api#1`), except when the first word has
 * a colon (a URL), which it leaves whole.
 */
export function classifyUnknownCommand(id: string, argv: readonly string[], known: KnownCommands): UnknownCommand {
  const words = /^https?:\/\//i.test(id) ? [id] : splitId(id)
  const tokens = [...words, ...argv]
  const head = tokens.findIndex((t) => !t.startsWith('-'))
  if (head === -1) return {kind: 'unknown', typed: tokens[0] ?? ''}
  if (looksLikeRef(tokens[head])) return {kind: 'ref', ref: tokens[head]}
  // Follow topics down (`sidequests lsit`) so the typed command is the whole path.
  const parts = [tokens[head]]
  for (let i = head + 1; i < tokens.length && known.isTopic(parts.join(':')) && !tokens[i].startsWith('-') && !looksLikeRef(tokens[i]); i++) parts.push(tokens[i])
  const typed = parts.join(' ')
  if (head > 0 && known.ids.includes(parts.join(':'))) {
    const rest = [...tokens.slice(0, head), ...tokens.slice(head + parts.length)]
    return {kind: 'unknown', typed: tokens[0], suggestion: [typed, ...rest].join(' '), flagsFirst: true}
  }
  // `sidequest list`: the word after a mistyped topic picks the command (sidequests list, not the first of the topic).
  const next = tokens[head + parts.length]
  const withNext = next && !next.startsWith('-') && !looksLikeRef(next) ? closestCommand(`${typed} ${next}`, known.ids) : undefined
  return {kind: 'unknown', typed, suggestion: withNext?.includes(' ') ? withNext : closestCommand(typed, known.ids)}
}

/** Split oclif's joined id back into words, keeping a URL (which has colons) in one piece. */
function splitId(id: string): string[] {
  const words: string[] = []
  const parts = id.split(':')
  for (let i = 0; i < parts.length; i++) {
    if (/^https?$/i.test(parts[i]) && parts[i + 1]?.startsWith('//')) {
      // `stauts:https://host:8443/a/b/issues/1`: the rest is the URL, colons included.
      words.push(parts.slice(i).join(':'))
      break
    }
    words.push(parts[i])
  }
  return words.filter((w) => w !== '')
}
