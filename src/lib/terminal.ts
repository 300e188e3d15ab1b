/**
 * Making forge text inert before it reaches a terminal. Titles and bodies are
 * written by strangers; an escape sequence in them must never move the cursor,
 * set the window title, plant an OSC 8 link, or reorder text with bidi controls.
 */

// C0 controls (but tab and newline, handled separately), DEL, C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
// Bidi embeddings/overrides/isolates and other invisible format characters that can disguise text.
const FORMAT = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g

function visible(ch: string): string {
  const code = ch.codePointAt(0)!
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** One line of untrusted text, safe to print: controls and newlines shown as escapes. */
export function inertLine(text: string): string {
  return text.replace(/[\t\n]/g, ' ').replace(CONTROL, visible).replace(FORMAT, visible)
}

/** Multi-line untrusted text, safe to print: newlines and tabs kept, every other control made visible. */
export function inertText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL, visible).replace(FORMAT, visible)
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
