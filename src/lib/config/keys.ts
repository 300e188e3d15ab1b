import {z} from 'zod/v3'

import {editDistance} from '../similar.js'
import {schema} from './schema.js'

export function describeIssue(issue: z.ZodIssue): string {
  // A union (repos entries: a path or settings) failed every form: say why the closest one did.
  if (issue.code === 'invalid_union') {
    const deepest = issue.unionErrors.flatMap((e) => e.issues).sort((a, b) => b.path.length - a.path.length)[0]
    if (deepest && deepest.path.length > issue.path.length) return describeIssue(deepest)
  }
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
  let expected = issue.message
  if (issue.code === 'invalid_type') {
    expected = issue.received === 'undefined' ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${issue.received}`
  } else if (issue.code === 'invalid_enum_value') {
    expected = `expected one of ${issue.options.join(', ')}, got ${JSON.stringify(issue.received)}`
  } else if (issue.code === 'too_small' && issue.type === 'array') {
    expected = `expected ${issue.message}`
  } else if (issue.code === 'custom') {
    expected = `expected ${issue.message}`
  }
  return `${key}: ${expected}`
}

/** Keys that the schema does not know, as dotted paths. Unknown keys are warned about, not fatal. */
export function unknownKeys(raw: unknown, shape: z.ZodTypeAny, prefix = ''): string[] {
  let inner: z.ZodTypeAny = shape
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner._def.innerType
  if (!(inner instanceof z.ZodObject) || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return []
  const known = inner.shape as Record<string, z.ZodTypeAny>
  const found: string[] = []
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(key in known)) found.push(prefix + key)
    else found.push(...unknownKeys(value, known[key], `${prefix}${key}.`))
  }
  return found
}

/** Every key the schema knows, as dotted paths. */
function knownKeys(shape: z.ZodTypeAny, prefix = ''): string[] {
  let inner: z.ZodTypeAny = shape
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner._def.innerType
  if (!(inner instanceof z.ZodObject)) return []
  return Object.entries(inner.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => [prefix + k, ...knownKeys(v, `${prefix}${k}.`)])
}

export const KNOWN_KEYS = knownKeys(schema)

/** Keys whose typo would quietly weaken a safety promise or change what workers do. */
export const SAFETY_KEYS = new Set([
  'allowedOwners',
  'repos',
  'workspace.root',
  'workspace.layout',
  'worktreeRoot',
  'worktree.setup',
  'stateDir',
  'maxActive',
  'landing',
  'budget',
  'budget.dailyUsd',
  'claude.permissionMode',
  'claude.allowedTools',
  'claude.maxBudgetUsd',
  'interactive.command',
  'notify.command',
  'runner.kind',
  'sandbox',
  'sandbox.kind',
  'sandbox.allowNetwork',
  'sandbox.allowRead',
  'sandbox.allowWrite',
  'watch.sources',
  'watch.maxActive',
  'watch.comment',
])

/**
 * The known key an unknown one most likely meant: the closest by the last
 * segment (a quarter of its letters may differ, case ignored), wherever it
 * sits, so `permisionMode` at the top level finds `claude.permissionMode`.
 * Ties go to the same parent. Pure.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const leaf = (k: string) => k.slice(k.lastIndexOf('.') + 1).toLowerCase()
  const parent = (k: string) => k.slice(0, Math.max(0, k.lastIndexOf('.')))
  const want = leaf(key)
  let best: {key: string; score: number} | undefined
  for (const k of known) {
    const d = editDistance(want, leaf(k))
    if (d > Math.max(1, Math.floor(want.length / 4))) continue
    const score = d * 2 + (parent(k) === parent(key) ? 0 : 1)
    if (!best || score < best.score) best = {key: k, score}
  }
  return best?.key
}
