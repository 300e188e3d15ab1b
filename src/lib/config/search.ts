import {existsSync} from 'node:fs'
import path from 'node:path'

import {UsageError} from '../errors.js'
import {examplePath} from '../package-files.js'
import {SEARCH_PLACES, loadFile, xdgConfigFile} from './files.js'
import {expandHome} from './paths.js'
import {refuseUnlessTrusted, type ConfigOrigin} from './trust.js'

export interface LoadOptions {
  /** `--config` flag. */
  configPath?: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Receives warnings (unknown keys). */
  warn?: (message: string) => void
  /**
   * For commands that only read state (status, sidequests, stop, reap --dry-run):
   * with no config anywhere they run on the defaults, with no owner allowed.
   */
  readOnly?: boolean
}

/**
 * Find the config file path, or undefined when none exists anywhere (SPEC §3
 * order). A file found by the search must pass configTrustProblem.
 */
export async function findConfigFile(opts: LoadOptions): Promise<{file: string; raw: unknown; origin: ConfigOrigin} | undefined> {
  const explicit = opts.configPath ?? (opts.env.DISPATCH_CONFIG || undefined)
  if (explicit) {
    const file = path.resolve(opts.cwd, expandHome(explicit, opts.env))
    const origin = opts.configPath ? '--config' : 'DISPATCH_CONFIG'
    if (!existsSync(file)) {
      throw new UsageError(`Config file ${file} (from ${origin}) does not exist.`, `Check the path, run dispatch init --config ${file}, or copy ${examplePath()} there.`)
    }
    return {file, raw: (await loadFile(file)).config, origin}
  }

  // Walk from cwd to the filesystem root, then the XDG config dir.
  let dir = path.resolve(opts.cwd)
  for (;;) {
    for (const place of SEARCH_PLACES) {
      const file = path.join(dir, place)
      if (!existsSync(file)) continue
      if (place === 'package.json') {
        // A package.json without a "dispatch" key is not a config: keep looking.
        const result = await loadFile(file)
        if (result.config === undefined) continue
        await refuseUnlessTrusted(file, opts.env)
        return {file, raw: result.config, origin: 'search'}
      }
      // NOTE: judge before loading: loading a JavaScript file runs it.
      await refuseUnlessTrusted(file, opts.env)
      return {file, raw: (await loadFile(file)).config, origin: 'search'}
    }
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  const file = xdgConfigFile(opts.env)
  return file ? {file, raw: (await loadFile(file)).config, origin: 'xdg'} : undefined
}
