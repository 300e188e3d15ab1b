/**
 * Command templates from the config (`interactive.command`, `notify.command`).
 *
 * NOTE: no shell ever runs a template. It is split into words here, once, and
 * placeholders are filled per word, so an issue title reaches the launched
 * program as one argument, byte for byte, whatever quotes, `$(...)` or
 * backticks it holds. A placeholder inside quotes is refused: it is the shape
 * of `sh -c "notify {title}"`, where the value would become shell text again.
 */

/** What `interactive.command` may contain: each a word (or part of one) of its own. */
export const LAUNCHER_PLACEHOLDERS = ['cwd', 'argv', 'title', 'ref'] as const
/** Event fields notify.command receives as DISPATCH_* variables (and JSON on stdin), never as placeholders. */
export const NOTIFY_FIELDS = ['event', 'mode', 'ref', 'title', 'url', 'cwd', 'pid', 'exit_code', 'pr_url', 'reason'] as const

export type TemplatePart = {text: string} | {placeholder: string}
/** One argv word: literal text and placeholders, concatenated. */
export type TemplateWord = TemplatePart[]

export class TemplateError extends Error {}

const SHELL_SYNTAX = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`'])

/**
 * Split a template into words as a POSIX shell would split a simple command
 * (whitespace, '…', "…", backslash), recognising `{name}` placeholders from
 * `names` in unquoted text only. Anything that needs a shell (pipes, `;`,
 * redirections, `$` expansions, command substitution) is refused with the
 * reason, since nothing here would interpret it. Pure.
 */
export function parseCommandTemplate(template: string, names: readonly string[]): TemplateWord[] {
  const words: TemplateWord[] = []
  let word: TemplateWord | undefined
  const text = (t: string) => {
    word ??= []
    const last = word[word.length - 1]
    if (last && 'text' in last) last.text += t
    else word.push({text: t})
  }
  const end = () => {
    if (word) words.push(word)
    word = undefined
  }
  const placeholderAt = (i: number): string | undefined => {
    const m = /^\{([a-z_]+)\}/.exec(template.slice(i))
    return m && names.includes(m[1]) ? m[1] : undefined
  }
  const insideQuotes = (name: string, quote: string): never => {
    throw new TemplateError(
      `{${name}} is inside ${quote === "'" ? 'single' : 'double'} quotes. Values are passed as separate arguments, never spliced into shell text, so write the placeholder as a word of its own: --title {${name}}, not --title "{${name}}". For shell features use sh -c '... "$1"' sh {${name}} (the value arrives as $1).`,
    )
  }
  let i = 0
  while (i < template.length) {
    const c = template[i]
    if (c === ' ' || c === '\t' || c === '\n') {
      end()
      i++
    } else if (c === "'") {
      const close = template.indexOf("'", i + 1)
      if (close < 0) throw new TemplateError('it has an unterminated single quote')
      const inner = template.slice(i + 1, close)
      for (const name of names) if (inner.includes(`{${name}}`)) insideQuotes(name, "'")
      text(inner)
      i = close + 1
    } else if (c === '"') {
      let inner = ''
      i++
      for (;;) {
        if (i >= template.length) throw new TemplateError('it has an unterminated double quote')
        const d = template[i]
        if (d === '"') break
        if (d === '\\' && i + 1 < template.length && '"\\$`'.includes(template[i + 1])) {
          inner += template[i + 1]
          i += 2
          continue
        }
        if (d === '$' || d === '`') throw new TemplateError(`it uses ${d} inside double quotes, which only a shell would expand; no shell runs this template (use sh -c '...' sh {…} to get one)`)
        const name = placeholderAt(i)
        if (name) insideQuotes(name, '"')
        inner += d
        i++
      }
      text(inner)
      i++
    } else if (c === '\\') {
      if (i + 1 >= template.length) throw new TemplateError('it ends with a lone backslash')
      text(template[i + 1] === '\n' ? '' : template[i + 1])
      i += 2
    } else if (SHELL_SYNTAX.has(c)) {
      throw new TemplateError(
        `it uses the shell syntax ${JSON.stringify(c)}, but no shell runs this template: it is split into words and run directly. For pipes, redirections or several commands write sh -c '...' sh {placeholders...} and use "$1", "$2" in the script`,
      )
    } else {
      const name = placeholderAt(i)
      if (name) {
        word ??= []
        word.push({placeholder: name})
        i += name.length + 2
      } else {
        text(c)
        i++
      }
    }
  }
  end()
  if (words.length === 0) throw new TemplateError('it is empty')
  const first = words[0]
  if (first.some((p) => 'placeholder' in p)) throw new TemplateError('the program to run (its first word) may not come from a placeholder')
  for (const w of words) {
    if (w.length > 1 && w.some((p) => 'placeholder' in p && p.placeholder === 'argv')) {
      throw new TemplateError('{argv} stands for several words and must be a word of its own')
    }
  }
  return words
}

/**
 * Fill a parsed template: each placeholder's value lands inside its word as
 * is; `{argv}` (a list) becomes that many words. Pure.
 */
export function fillCommandTemplate(words: readonly TemplateWord[], values: Record<string, string | readonly string[]>): string[] {
  const argv: string[] = []
  for (const w of words) {
    if (w.length === 1 && 'placeholder' in w[0] && Array.isArray(values[w[0].placeholder])) {
      argv.push(...(values[w[0].placeholder] as string[]))
      continue
    }
    argv.push(w.map((p) => ('text' in p ? p.text : String(values[p.placeholder] ?? ''))).join(''))
  }
  return argv
}

/** Environment variables carrying the same values (DISPATCH_TITLE, …), for programs that prefer them. Pure. */
export function templateEnv(values: Record<string, string | readonly string[]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string') out[`DISPATCH_${key.toUpperCase()}`] = value
  }
  return out
}

/**
 * notify.command runs through /bin/sh (pipes and redirections are the point of
 * it) and so takes no placeholders: the event arrives as JSON on stdin and in
 * DISPATCH_* variables, which the shell expands as data ("$DISPATCH_TITLE").
 * Returns why a command is refused, or undefined. Pure.
 */
export function notifyCommandProblem(command: string): string | undefined {
  const found = NOTIFY_FIELDS.find((name) => command.includes(`{${name}}`))
  if (!found) return undefined
  return `{${found}} would splice the value into shell text. notify.command takes no placeholders: the event is JSON on stdin and in environment variables, so write "$DISPATCH_${found.toUpperCase()}" (double-quoted) instead`
}
