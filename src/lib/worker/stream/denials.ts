/**
 * Tool calls claude refused to run (permission mode, allow-list, a missing
 * classifier): what a worker could not do. Pure.
 * NOTE: Claude Code 2.1.328 reports each refusal twice: as it happens, in a
 * `user` event whose tool_result_meta entry has permission_decision.decision
 * "reject" (older builds: only the tool_result, is_error, with the refusal's
 * text), and at the end in the result event's
 * `permission_denials: [{tool_name, tool_use_id, tool_input}]`.
 */
import type {PermissionDenials} from '../../registry/record.js'
import {message, type StreamEvent} from './events.js'

/** The result event's permission_denials, counted, each tool named once in the order first refused; null without one. */
export function resultDenials(ev: StreamEvent): PermissionDenials | null {
  if (ev.type !== 'result' || !Array.isArray(ev.permission_denials)) return null
  const tools: string[] = []
  for (const d of ev.permission_denials as unknown[]) {
    const name = d && typeof d === 'object' && typeof (d as {tool_name?: unknown}).tool_name === 'string' ? (d as {tool_name: string}).tool_name : 'unknown'
    if (!tools.includes(name)) tools.push(name)
  }
  return {count: ev.permission_denials.length, tools}
}

/** The tool calls an assistant event makes: id → tool name. */
export function toolUses(ev: StreamEvent): Array<[string, string]> {
  if (ev.type !== 'assistant' || !Array.isArray(message(ev).content)) return []
  const out: Array<[string, string]> = []
  for (const block of message(ev).content as Array<Record<string, unknown>>) {
    if (block?.type === 'tool_use' && typeof block.id === 'string') out.push([block.id, typeof block.name === 'string' ? block.name : 'unknown'])
  }
  return out
}

const REFUSAL_TEXT = /haven't granted it yet|Auto mode is unavailable|permission to use .* (was|has been) denied|requires approval/i

function resultText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) return content.map((c) => (c && typeof c === 'object' && typeof (c as {text?: unknown}).text === 'string' ? (c as {text: string}).text : '')).join(' ')
  return ''
}

/** One refused call as a `user` event reports it: the tool_use id and claude's words. */
export interface Refusal {
  id: string
  text: string
}

/** The tool calls a `user` event says were refused (not those that ran and failed). */
export function refusals(ev: StreamEvent): Refusal[] {
  if (ev.type !== 'user' || !Array.isArray(message(ev).content)) return []
  const rejected = new Set<string>()
  for (const m of Array.isArray(ev.tool_result_meta) ? (ev.tool_result_meta as Array<Record<string, unknown>>) : []) {
    const decision = (m?.permission_decision as {decision?: unknown} | undefined)?.decision
    if (typeof m?.id === 'string' && decision === 'reject') rejected.add(m.id)
  }
  const out: Refusal[] = []
  for (const block of message(ev).content as Array<Record<string, unknown>>) {
    if (block?.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue
    const text = resultText(block.content).replace(/\s+/g, ' ').trim()
    if (rejected.has(block.tool_use_id) || (block.is_error === true && REFUSAL_TEXT.test(text))) out.push({id: block.tool_use_id, text})
  }
  return out
}

/** Does a `user` event carry any tool result (refused or not)? */
export function hasToolResult(ev: StreamEvent): boolean {
  return ev.type === 'user' && Array.isArray(message(ev).content) && (message(ev).content as Array<Record<string, unknown>>).some((b) => b?.type === 'tool_result')
}
