import path from 'node:path'

import {git, type Sandbox} from './helpers.js'

/**
 * A dispatch branch `dispatch/<name>` with `n` commits of its own, in a
 * worktree where dispatch would put it for `checkout` (a checkout in
 * sb.workspace), pushed to origin when asked.
 */
export function dispatchBranch(sb: Sandbox, checkout: string, name: string, n: number, push: boolean): {dir: string; branch: string; tip: string} {
  const dir = path.join(sb.worktreeRoot, path.relative(sb.workspace, checkout), name)
  const branch = `dispatch/${name}`
  git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', branch, dir, 'origin/main')
  // The name in the message keeps two branches' commits apart (same parent, same second).
  for (let i = 0; i < n; i++) git(dir, 'commit', '-q', '--allow-empty', '-m', `work ${name} ${i}`)
  if (push) git(dir, 'push', '-q', 'origin', branch)
  return {dir, branch, tip: git(dir, 'rev-parse', 'HEAD')}
}
