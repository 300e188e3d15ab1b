import path from 'node:path'

import {UsageError} from '../errors.js'
import {examplePath} from '../package-files.js'
import {xdgConfigFile} from './files.js'
import {xdgDir} from './paths.js'
import {findConfigFile, type LoadOptions} from './search.js'
import type {Config} from './schema.js'
import {defaultConfig, validateConfig} from './validate.js'

export {homeDir, xdgDir} from './paths.js'
export {PERMISSION_MODES, SURFACES, type Config, type Landing, type PromptKind, type Surface} from './schema.js'
export {validateConfig} from './validate.js'
export {SANDBOX_KINDS, sandboxFor, type SandboxChoice, type SandboxKind, type SandboxSettings} from './sandbox.js'
export type {LoadOptions} from './search.js'

/** Load and validate the configuration (SPEC §3). */
export async function loadConfig(opts: LoadOptions): Promise<Config> {
  const found = await findConfigFile(opts)
  if (!found && opts.readOnly) return defaultConfig(opts.env)
  if (!found) {
    throw new UsageError(
      'No dispatch configuration found: dispatching needs allowedOwners, the owners dispatch may work for.',
      `Run: dispatch init --owner <your-org> (writes ${path.join(xdgDir('config', opts.env), 'dispatch', 'config.yaml')}), or pass --config <file>. Every key is explained in ${examplePath()}.`,
    )
  }
  const raw = found.raw as {trustedConfigs?: unknown} | undefined
  if (raw?.trustedConfigs !== undefined && found.origin !== 'xdg' && found.file !== xdgConfigFile(opts.env)) {
    opts.warn?.(`warning: ${found.file}: trustedConfigs is read only from ${path.join(xdgDir('config', opts.env), 'dispatch')}/; ignored here`)
  }
  return validateConfig(found.raw, found.file, opts.env, opts.warn)
}
