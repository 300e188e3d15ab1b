/**
 * Tracker text made safe to quote: fenced, capped, stripped of invisible
 * characters; forge URLs made safe for an operator line. All pure.
 */
import {INVISIBLE} from '../terminal.js'

/** A backtick fence longer than any backtick run in the text, so the text can't close it. */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  return '`'.repeat(Math.max(3, longest + 1))
}

/** Cut text to at most `limit` UTF-8 bytes on a character boundary. */
export function capBytes(text: string, limit: number): {text: string; cut: number} {
  const buf = Buffer.from(text, 'utf8')
  if (buf.length <= limit) return {text, cut: 0}
  let end = limit
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--
  return {text: buf.subarray(0, end).toString('utf8'), cut: buf.length - end}
}

/**
 * Tracker text as the prompt carries it: NULs and invisible characters (see
 * INVISIBLE) removed, and how many invisible ones there were, so the prompt can
 * say so. Removed rather than escaped: a model reads `\u{e0041}` escapes as
 * text just as well as the characters themselves. Pure.
 */
export function stripInvisible(text: string): {text: string; removed: number} {
  let removed = 0
  const clean = text.replaceAll('\0', '').replace(INVISIBLE, () => {
    removed++
    return ''
  })
  return {text: clean, removed}
}

/**
 * A URL from the forge, fit for an operator line and a shell command: parsed,
 * http(s) only, and every character outside a conservative set percent-encoded
 * (quotes, backticks, spaces and newlines can't survive). Falls back to
 * `fallback` when the forge sent something that is not a URL. Pure.
 */
export function promptUrl(url: string, fallback: string): string {
  let href: string
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return fallback
    href = parsed.href
  } catch {
    return fallback
  }
  return href.replace(/[^A-Za-z0-9\-._~:/?#[\]@!$&()*+,;=%]/gu, (ch) => [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
}
