import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {UsageError, errorMessage} from '../errors.js'
import {xdgDir} from './paths.js'

export const SEARCH_PLACES = [
  '.dispatchrc',
  '.dispatchrc.json',
  '.dispatchrc.yaml',
  '.dispatchrc.yml',
  '.dispatchrc.js',
  '.dispatchrc.mjs',
  '.dispatchrc.cjs',
  'dispatch.config.js',
  'dispatch.config.mjs',
  'dispatch.config.cjs',
  'package.json',
]

export const JS_EXTENSIONS = ['.js', '.mjs', '.cjs']
const XDG_NAMES = ['config.json', 'config.yaml', 'config.yml', 'config.mjs', 'config.js', 'config.cjs']

export function xdgConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  const dir = path.join(xdgDir('config', env), 'dispatch')
  for (const name of XDG_NAMES) {
    const file = path.join(dir, name)
    if (existsSync(file)) return file
  }
  return undefined
}

/**
 * Read one config file. JavaScript configs go through cosmiconfig (module
 * interop); JSON, YAML and package.json are parsed directly, which keeps the
 * hot commands (sidequests conflicts/list) from paying for cosmiconfig's load.
 * Any other extension given explicitly (my.conf, .dispatchrc.example) is YAML.
 */
export async function loadFile(file: string): Promise<{config: unknown}> {
  try {
    const ext = path.extname(file)
    if (['.js', '.mjs', '.cjs'].includes(ext)) {
      const {cosmiconfig} = await import('cosmiconfig')
      const result = await cosmiconfig('dispatch', {searchPlaces: SEARCH_PLACES, searchStrategy: 'none', cache: false}).load(file)
      return {config: result?.config}
    }
    const text = await readFile(file, 'utf8')
    if (path.basename(file) === 'package.json') return {config: (JSON.parse(text) as {dispatch?: unknown}).dispatch}
    if (ext === '.json') return {config: JSON.parse(text)}
    if (text.trim() === '') return {config: undefined}
    // js-yaml: a fraction of the start-up cost of the yaml package, on the hot path of every command.
    const {load} = await import('js-yaml')
    return {config: load(text)}
  } catch (error) {
    throw new UsageError(`Config file ${file} could not be read: ${errorMessage(error).split('\n')[0]}`, 'Fix the syntax and try again.')
  }
}
