/** Human output helpers: relative times, durations and tables (TTY) vs. TSV (pipes), in the manner of gh. */
import {inertLine, truncate} from './terminal.js'

export function relativeTime(iso: string, now: Date): string {
  const ms = now.getTime() - new Date(iso).getTime()
  if (!Number.isFinite(ms)) return 'unknown'
  const future = ms < 0
  const s = Math.round(Math.abs(ms) / 1000)
  const text = s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86_400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86_400)}d`
  return future ? `in ${text}` : `${text} ago`
}

/** relativeTime in words, for a sentence: `3 days ago`, `1 hour ago`. */
export function relativeTimeInWords(iso: string, now: Date): string {
  const short = relativeTime(iso, now)
  const m = /^(in )?(\d+)([smhd])( ago)?$/.exec(short)
  if (!m) return short
  const unit = {s: 'second', m: 'minute', h: 'hour', d: 'day'}[m[3] as 's' | 'm' | 'h' | 'd']
  return `${m[1] ?? ''}${m[2]} ${unit}${m[2] === '1' ? '' : 's'}${m[4] ?? ''}`
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown'
  const s = Math.floor(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`
}

/** Parse `90s`, `15m`, `1h`, `7d`, `2w` (and a bare `0`) into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (/^0+$/.test(text.trim())) return 0
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim())
  if (!m) return undefined
  const unit = {s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}[m[2] as 's' | 'm' | 'h' | 'd' | 'w']
  return Number(m[1]) * unit
}

/**
 * A table: on a TTY, padded columns under a header with the last column cut
 * to the terminal width; otherwise tab-separated values without a header.
 * Every cell is made inert.
 */
export function table(headers: string[], rows: string[][], opts: {tty: boolean; width?: number}): string {
  const clean = rows.map((r) => r.map((c) => inertLine(c)))
  if (!opts.tty) return clean.map((r) => r.join('\t')).join('\n')
  const widths = headers.map((h, i) => Math.max(h.length, ...clean.map((r) => [...(r[i] ?? '')].length)))
  const fixed = widths.slice(0, -1).reduce((a, w) => a + w + 2, 0)
  const lastWidth = Math.max(10, (opts.width ?? 120) - fixed)
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? truncate(c, lastWidth) : c + ' '.repeat(Math.max(0, widths[i] - [...c].length))))
      .join('  ')
      .trimEnd()
  return [line(headers), ...clean.map(line)].join('\n')
}
