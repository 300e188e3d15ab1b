/** `reap`: a verdict per worktree, aligned, with the reason. Pure. */
import type {ReapEntry} from '../reap/index.js'

import type {Rendered} from './facts.js'

const VERB: Record<ReapEntry['action'], string> = {removed: 'removed     ', 'would-remove': 'would remove', kept: 'kept        '}

export function renderReap(entries: readonly ReapEntry[], worktreeRoot: string): Rendered {
  if (entries.length === 0) return {stdout: '', stderr: `no dispatch worktrees under ${worktreeRoot}\n`}
  return {stdout: entries.map((e) => `${VERB[e.action]} ${e.path}${e.branch ? ` (${e.branch})` : ''}: ${e.reason}\n`).join(''), stderr: ''}
}
