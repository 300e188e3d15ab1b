import {existsSync, realpathSync} from 'node:fs'
import path from 'node:path'

import {UsageError} from '../errors.js'
import {JS_EXTENSIONS, loadFile, xdgConfigFile} from './files.js'
import {expandHome, xdgDir} from './paths.js'

/** Where a config came from; decides what it may be (SPEC §3, §10). */
export type ConfigOrigin = '--config' | 'DISPATCH_CONFIG' | 'search' | 'xdg'

/**
 * May a config found at `file` be loaded? Pure over its inputs. The operator's
 * own choices (`--config`, `DISPATCH_CONFIG`, the XDG location) may be any
 * format. A file found by the search may be a repository's file, written by
 * anyone who can push, or by a worker in its worktree: it is never JavaScript
 * (loading it would run their code as the operator), and inside a git working
 * tree it is data the operator must have trusted by path (`trustedConfigs` in
 * the XDG config). Returns undefined when allowed, else why not.
 */
export function configTrustProblem(
  origin: ConfigOrigin,
  file: string,
  facts: {insideGitTree: boolean; trusted: boolean},
): 'javascript' | 'untrusted' | undefined {
  if (origin !== 'search') return undefined
  if (JS_EXTENSIONS.includes(path.extname(file))) return 'javascript'
  if (facts.insideGitTree && !facts.trusted) return 'untrusted'
  return undefined
}

/** Is `dir` inside a git working tree (a `.git` file or directory in it or above it)? A few stats. */
function insideGitWorkTree(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.git'))) return true
    if (path.dirname(d) === d) return false
  }
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return path.resolve(file)
  }
}

/** `trustedConfigs` from the operator's XDG config, as real paths; read only when a search hit needs it. */
async function trustedConfigs(env: NodeJS.ProcessEnv): Promise<{list: string[]; from?: string}> {
  const file = xdgConfigFile(env)
  if (!file) return {list: []}
  const raw = (await loadFile(file)).config as {trustedConfigs?: unknown} | undefined
  const list = raw && Array.isArray(raw.trustedConfigs) ? raw.trustedConfigs.filter((p): p is string => typeof p === 'string') : []
  return {list: list.map((p) => realOrSelf(path.resolve(path.dirname(file), expandHome(p, env)))), from: file}
}

export async function refuseUnlessTrusted(file: string, env: NodeJS.ProcessEnv): Promise<void> {
  const inTree = insideGitWorkTree(path.dirname(file))
  const needsList = inTree && !JS_EXTENSIONS.includes(path.extname(file))
  const trusted = needsList ? (await trustedConfigs(env)).list.includes(realOrSelf(file)) : false
  const problem = configTrustProblem('search', file, {insideGitTree: inTree, trusted})
  const userConfig = path.join(xdgDir('config', env), 'dispatch', 'config.yaml')
  if (problem === 'javascript') {
    throw new UsageError(
      `Config file ${file} was found by searching from the current directory, and it is JavaScript: dispatch loads JavaScript configs only from --config, DISPATCH_CONFIG or ${path.dirname(userConfig)}/, because loading one runs its code as you.`,
      `If you wrote it, pass it explicitly: --config ${file} (or DISPATCH_CONFIG=${file}); otherwise remove it or run dispatch from elsewhere.`,
    )
  }
  if (problem === 'untrusted') {
    throw new UsageError(
      `Config file ${file} was found by searching from the current directory, inside a git working tree, and you have not trusted it: a repository's config could replace allowedOwners.`,
      `If you trust it, pass it explicitly (--config ${file}) or list it under trustedConfigs in ${userConfig}, e.g. trustedConfigs: [${file}].`,
    )
  }
}
