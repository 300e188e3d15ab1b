import {existsSync, realpathSync} from 'node:fs'
import {readFile, rename, stat, writeFile, unlink} from 'node:fs/promises'
import path from 'node:path'

import {FailureError, errorMessage} from './errors.js'
import {homeDir} from './config/index.js'
import {withLock} from './lock.js'
import {isExecutableFile, which} from './which.js'

export {checkExtraArgs, claudeOverrides, headlessArgs, interactiveArgs, overrideMessage, passedOptions, resumeArgs, type ClaudeOptions, type ClaudeOverride} from './claude-args.js'

/**
 * Find the claude binary: a path is checked as is, a bare name is looked up
 * on PATH. Fails before anything is created when it is missing.
 */
export function findClaudeBinary(bin: string, env: NodeJS.ProcessEnv, cwd: string): string {
  if (bin.includes('/')) {
    const abs = path.resolve(cwd, bin)
    if (isExecutableFile(abs)) return abs
    throw new FailureError(`The claude binary ${abs} does not exist or is not executable.`, 'Install Claude Code (npm install -g @anthropic-ai/claude-code) or fix --claude-bin / claude.bin.')
  }
  const found = which(bin, env)
  if (found) return found
  throw new FailureError(`The claude binary "${bin}" was not found on PATH.`, 'Install Claude Code (npm install -g @anthropic-ai/claude-code) or set --claude-bin / claude.bin to its path.')
}

/** Claude's own config file: `$CLAUDE_CONFIG_DIR/.claude.json`, else `~/.claude.json`. */
export function claudeConfigFile(env: NodeJS.ProcessEnv): string {
  return env.CLAUDE_CONFIG_DIR ? path.join(env.CLAUDE_CONFIG_DIR, '.claude.json') : path.join(homeDir(env), '.claude.json')
}

/** corrupt: not JSON or not an object; unexpected: valid JSON in a shape we do not know. Both are left alone. */
export type TrustOutcome = 'trusted' | 'already-trusted' | 'missing' | 'corrupt' | 'unexpected'

/**
 * Mark a worktree as trusted in Claude's config so the folder-trust dialog
 * does not block the session. Keeps every other key; never creates the file;
 * leaves a corrupt file untouched (the caller warns).
 *
 * NOTE: Claude Code (2.1) saves this file under a proper-lockfile lock at
 * `<file>.lock`; we take the very same lock, so neither side can overwrite
 * the other's change, and concurrent dispatches queue on it too. For writers
 * that do not lock (older Claude versions, people's scripts) we also re-read
 * just before the rename and merge again if the file changed meanwhile.
 */
export async function preTrust(file: string, worktree: string): Promise<TrustOutcome> {
  if (!existsSync(file)) return 'missing'
  // NOTE: a symlinked config (dotfile managers do this) is edited where it lives:
  // replacing the link with a regular file would cut it off from its target.
  let target: string
  try {
    target = realpathSync(file)
  } catch {
    return 'missing'
  }
  if (target === file) return withLock(file, () => mergeTrust(target, worktree))
  // Hold the lock on the name Claude opens and on the real file, whichever one it locks.
  return withLock(file, () => withLock(target, () => mergeTrust(target, worktree)))
}

async function mergeTrust(file: string, worktree: string): Promise<TrustOutcome> {
  for (let attempt = 0; attempt < 10; attempt++) {
    let before: string
    try {
      before = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
      throw new FailureError(`Could not read ${file}: ${errorMessage(error)}.`, 'Check its permissions.')
    }
    let data: unknown
    try {
      data = JSON.parse(before)
    } catch {
      return 'corrupt'
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'corrupt'
    const obj = data as Record<string, unknown>
    // Anything but a missing key or a plain object is a shape we do not know: leave it to Claude.
    if (obj.projects !== undefined && (obj.projects === null || typeof obj.projects !== 'object' || Array.isArray(obj.projects))) return 'unexpected'
    const projects = (obj.projects ?? {}) as Record<string, unknown>
    const current = projects[worktree]
    if (current !== undefined && (current === null || typeof current !== 'object' || Array.isArray(current))) return 'unexpected'
    const entry = (current ?? {}) as Record<string, unknown>
    if (entry.hasTrustDialogAccepted === true) return 'already-trusted'
    projects[worktree] = {...entry, hasTrustDialogAccepted: true}
    obj.projects = projects
    // Beside the real file, so the rename stays on its filesystem.
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.dispatch-${process.pid}-${attempt}.tmp`)
    try {
      await writeFile(tmp, JSON.stringify(obj, null, 2) + '\n', {mode: (await stat(file)).mode & 0o777, flag: 'wx'})
    } catch (error) {
      await unlink(tmp).catch(() => {})
      throw new FailureError(`Could not update ${file}: ${errorMessage(error)}; it is unchanged.`, 'Free some space (or fix its permissions) and try again.')
    }
    const now = await readFile(file, 'utf8').catch(() => undefined)
    if (now !== before) {
      await unlink(tmp).catch(() => {})
      continue
    }
    await rename(tmp, file)
    return 'trusted'
  }
  throw new FailureError(`${file} kept changing while dispatch tried to mark the worktree trusted.`, 'Try again.')
}

