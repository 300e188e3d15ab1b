/** A temp tree per test for loading configs: a project three levels deep, HOME and XDG dirs beside it. */
import {mkdirSync, mkdtempSync, realpathSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface ConfigDir {
  dir: string
  /** The cwd of a load: <dir>/project/sub/deeper. */
  project: string
  /** HOME and XDG_* under dir; nothing else. */
  env: NodeJS.ProcessEnv
}

export const MINIMAL_CONFIG = 'allowedOwners: [acme]\n'

/** Every name the search finds, with a minimal config in that file's format. */
export const CONFIG_PLACES: Array<[string, string]> = [
  ['.dispatchrc', MINIMAL_CONFIG],
  ['.dispatchrc.json', JSON.stringify({allowedOwners: ['acme']})],
  ['.dispatchrc.yaml', MINIMAL_CONFIG],
  ['.dispatchrc.yml', MINIMAL_CONFIG],
  ['.dispatchrc.mjs', 'export default {allowedOwners: ["acme"]}\n'],
  ['.dispatchrc.cjs', 'module.exports = {allowedOwners: ["acme"]}\n'],
  ['dispatch.config.mjs', 'export default {allowedOwners: ["acme"]}\n'],
  ['dispatch.config.cjs', 'module.exports = {allowedOwners: ["acme"]}\n'],
  ['package.json', JSON.stringify({name: 'x', dispatch: {allowedOwners: ['acme']}})],
]

/** Register the tree's creation and removal around each test of the calling describe; returns the live handles. */
export function useConfigDir(): ConfigDir {
  const t = {} as ConfigDir
  beforeEach(() => {
    t.dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-config-')))
    t.project = path.join(t.dir, 'project', 'sub', 'deeper')
    mkdirSync(t.project, {recursive: true})
    t.env = {HOME: path.join(t.dir, 'home'), XDG_CONFIG_HOME: path.join(t.dir, 'xdg'), XDG_STATE_HOME: path.join(t.dir, 'state'), XDG_DATA_HOME: path.join(t.dir, 'data')}
  })
  afterEach(() => rmSync(t.dir, {recursive: true, force: true}))
  return t
}
