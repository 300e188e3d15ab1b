/** Claude Code's `--output-format stream-json --verbose` events, one JSON object a line. Pure. */

export type StreamEvent = Record<string, unknown> & {type?: string; subtype?: string}

export function parseLine(line: string): StreamEvent | undefined {
  const trimmed = line.trim()
  if (!trimmed.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(trimmed)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as StreamEvent) : undefined
  } catch {
    return undefined
  }
}

/** The `message` of an assistant or user event, or an empty one. */
export function message(ev: StreamEvent): {model?: unknown; content?: unknown} {
  return (ev.message && typeof ev.message === 'object' ? ev.message : {}) as {model?: unknown; content?: unknown}
}
