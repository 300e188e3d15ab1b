/** Stream events shown to a person, one short inert line each. Pure. */
import {inertLine, truncate} from '../../terminal.js'
import {message, parseLine} from './events.js'

const KEY_ARGUMENT: Record<string, string> = {
  Bash: 'command',
  Read: 'file_path',
  Edit: 'file_path',
  MultiEdit: 'file_path',
  Write: 'file_path',
  NotebookEdit: 'notebook_path',
  Glob: 'pattern',
  Grep: 'pattern',
  WebFetch: 'url',
  WebSearch: 'query',
  Task: 'description',
}

function keyArgument(name: string, input: unknown): string {
  if (!input || typeof input !== 'object') return ''
  const obj = input as Record<string, unknown>
  if (name === 'TodoWrite' && Array.isArray(obj.todos)) return `${obj.todos.length} todo(s)`
  const key = KEY_ARGUMENT[name]
  if (key && typeof obj[key] === 'string') return obj[key] as string
  const first = Object.values(obj).find((v) => typeof v === 'string')
  return typeof first === 'string' ? first : ''
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? ''
}

/**
 * Why a tool call failed, in one line: the first line of its output, without
 * Claude Code's wrapper tag, and past Bash's "Exit code N" (kept as a prefix),
 * which says that it failed but not why. Content may be text or text blocks.
 */
function toolErrorReason(content: unknown): string {
  const text = typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((b: {type?: string; text?: unknown}) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('\n')
      : ''
  // Colour codes from test runners carry no reason; anything else stays and is made inert by the caller.
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/<\/?tool_use_error>/g, '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean)
  const exit = /^Exit code (\d+)$/.exec(lines[0] ?? '')
  if (exit) return lines[1] ? `exit ${exit[1]}: ${lines[1]}` : `exit ${exit[1]}`
  return lines[0] ?? '(no output)'
}

/**
 * One log line rendered for a person: zero or more display lines, already
 * inert (no control sequences from the stream reach the terminal).
 */
export function renderLine(line: string, width = 120): string[] {
  if (line.trim() === '') return []
  const ev = parseLine(line)
  const cut = (s: string) => truncate(inertLine(s), width)
  if (!ev) return [cut(line)]
  switch (ev.type) {
    case 'system': {
      if (ev.subtype === 'init') return [cut(`• session started${typeof ev.model === 'string' ? ` (${ev.model})` : ''}${typeof ev.session_id === 'string' ? ` ${ev.session_id}` : ''}`)]
      if (ev.subtype === 'api_retry') return [cut(`! API error ${typeof ev.error_status === 'number' ? ev.error_status : typeof ev.error === 'string' ? `(no status, ${ev.error})` : '?'}, retrying (attempt ${String(ev.attempt ?? '?')})`)]
      return []
    }
    case 'assistant': {
      const out: string[] = []
      const content = message(ev).content
      const synthetic = message(ev).model === '<synthetic>'
      if (Array.isArray(content)) {
        for (const block of content as Array<Record<string, unknown>>) {
          if (block?.type === 'text' && typeof block.text === 'string' && block.text.trim()) {
            out.push(cut(`${synthetic ? '✗' : '◆'} ${firstLine(block.text)}`))
          } else if (block?.type === 'tool_use' && typeof block.name === 'string') {
            const arg = firstLine(keyArgument(block.name, block.input))
            out.push(cut(`→ ${block.name}${arg ? `: ${arg}` : ''}`))
          }
        }
      }
      return out
    }
    case 'user': {
      const content = message(ev).content
      if (!Array.isArray(content)) return []
      return (content as Array<Record<string, unknown>>)
        .filter((b) => b?.type === 'tool_result' && b.is_error === true)
        .map((b) => cut(`✗ tool error: ${toolErrorReason(b.content)}`))
    }
    case 'result': {
      const turns = typeof ev.num_turns === 'number' ? `${ev.num_turns} turn(s)` : ''
      const cost = typeof ev.total_cost_usd === 'number' ? `$${ev.total_cost_usd.toFixed(4)}` : ''
      const meta = [turns, cost].filter(Boolean).join(', ')
      const text = typeof ev.result === 'string' ? firstLine(ev.result) : ''
      return [cut(`${ev.is_error ? '✗ failed' : '✓ done'}${meta ? ` (${meta})` : ''}${text ? `: ${text}` : ''}`)]
    }
    default:
      return []
  }
}

/** The last `n` rendered lines of a log's text. */
export function renderTail(text: string, n: number, width?: number): string[] {
  const rendered = text.split('\n').flatMap((l) => renderLine(l, width))
  return n <= 0 ? [] : rendered.slice(-n)
}
