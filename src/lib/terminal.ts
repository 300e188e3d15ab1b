/**
 * Making forge text inert before it reaches a terminal. Titles and bodies are
 * written by strangers; an escape sequence in them must never move the cursor,
 * set the window title, plant an OSC 8 link, or reorder text with bidi controls.
 */

// C0 controls (but tab and newline, handled separately), DEL, C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
/**
 * Invisible characters that can hide or disguise text: every format character
 * (Unicode category Cf: bidi controls, zero-width spaces and joiners, the soft
 * hyphen, and the tag characters, which can spell out a whole sentence nobody
 * sees), the rest of the tag block U+E0000–U+E007F, and variation selectors
 * that do not directly follow a visible character (one after an emoji is how
 * emoji are written; a run of them is a known way to smuggle bytes).
 */
export const INVISIBLE = /[\p{Cf}\u{E0000}-\u{E007F}]|(?<=^|[\p{Cf}\u{E0000}-\u{E007F}\uFE00-\uFE0F\u{E0100}-\u{E01EF}])[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu

function visible(ch: string): string {
  const code = ch.codePointAt(0)!
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`
}

/** One line of untrusted text, safe to print: controls and newlines shown as escapes. */
export function inertLine(text: string): string {
  return text.replace(/[\t\n]/g, ' ').replace(CONTROL, visible).replace(INVISIBLE, visible)
}

/** Multi-line untrusted text, safe to print: newlines and tabs kept, every other control made visible. */
export function inertText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL, visible).replace(INVISIBLE, visible)
}

/** Cut to at most `width` characters, marking the cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return ''
  const chars = [...text]
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width - 1)).join('') + '…'
}

/** Should output be coloured? Only on a TTY that is not dumb, and never with a non-empty NO_COLOR (no-color.org). */
export function useColor(stream: Pick<NodeJS.WriteStream, 'isTTY'>, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb'
}

const SGR = {green: 32, yellow: 33, red: 31} as const

/** Colour already-inert text when `on`; plain text otherwise. Pure. */
export function paint(text: string, colour: keyof typeof SGR, on: boolean): string {
  return on ? `\u001b[${SGR[colour]}m${text}\u001b[0m` : text
}
