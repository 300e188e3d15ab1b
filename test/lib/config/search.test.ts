import {expect} from 'chai'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {loadConfig} from '../../../src/lib/config/index.js'
import {UsageError} from '../../../src/lib/errors.js'
import {CONFIG_PLACES, MINIMAL_CONFIG, useConfigDir} from '../../support/config-dir.js'

// Where loadConfig looks (src/lib/config/search.ts, files.ts): the search upward, the XDG file, --config and DISPATCH_CONFIG.
describe('config search', () => {
  const t = useConfigDir()
  let {dir, env, project} = t
  beforeEach(() => ({dir, env, project} = t))

  const minimal = MINIMAL_CONFIG
  const places = CONFIG_PLACES
  for (const [name, text] of places) {
    const js = /\.(m|c)?js$/.test(name)
    it(js ? `refuses ${name} found by the search, without running it` : `finds ${name} searching upward from cwd (outside any git tree)`, async () => {
      const file = path.join(dir, 'project', name)
      const ran = path.join(dir, 'ran')
      if (js) {
        // Code that leaves a trace when it runs.
        const trace = name.endsWith('.mjs')
          ? `import {writeFileSync} from 'node:fs'\nwriteFileSync(${JSON.stringify(ran)}, 'x')\nexport default {allowedOwners: ['evil']}\n`
          : `require('node:fs').writeFileSync(${JSON.stringify(ran)}, 'x')\nmodule.exports = {allowedOwners: ['evil']}\n`
        writeFileSync(file, trace)
        const error = await loadConfig({cwd: project, env}).catch((e) => e)
        expect(error).to.be.instanceOf(UsageError)
        expect(error.message).to.include(file).and.match(/JavaScript/)
        expect(error.suggestion).to.include(`--config ${file}`)
        expect(existsSync(ran), 'the file ran').to.equal(false)
        return
      }
      writeFileSync(file, text)
      const config = await loadConfig({cwd: project, env})
      expect(config.file).to.equal(file)
      expect(config.allowedOwners).to.deep.equal(['acme'])
    })
  }

  it('still loads a JavaScript config given explicitly or in the XDG location', async () => {
    writeFileSync(path.join(dir, 'mine.mjs'), 'export default {allowedOwners: ["explicit"]}\n')
    expect((await loadConfig({cwd: project, env, configPath: path.join(dir, 'mine.mjs')})).allowedOwners).to.deep.equal(['explicit'])
    expect((await loadConfig({cwd: project, env: {...env, DISPATCH_CONFIG: path.join(dir, 'mine.mjs')}})).allowedOwners).to.deep.equal(['explicit'])
    mkdirSync(path.join(dir, 'xdg', 'dispatch'), {recursive: true})
    writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.mjs'), 'export default {allowedOwners: ["xdg"]}\n')
    expect((await loadConfig({cwd: project, env})).allowedOwners).to.deep.equal(['xdg'])
  })

  it('skips a package.json without a dispatch key and keeps searching', async () => {
    writeFileSync(path.join(dir, 'project', 'sub', 'package.json'), JSON.stringify({name: 'x'}))
    writeFileSync(path.join(dir, 'project', '.dispatchrc'), minimal)
    expect((await loadConfig({cwd: project, env})).file).to.equal(path.join(dir, 'project', '.dispatchrc'))
  })

  it('falls back to $XDG_CONFIG_HOME/dispatch/config.yaml', async () => {
    mkdirSync(path.join(dir, 'xdg', 'dispatch'), {recursive: true})
    writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.yaml'), minimal)
    const config = await loadConfig({cwd: project, env})
    expect(config.file).to.equal(path.join(dir, 'xdg', 'dispatch', 'config.yaml'))
  })

  it('prefers --config over DISPATCH_CONFIG over the search', async () => {
    writeFileSync(path.join(dir, 'project', '.dispatchrc'), 'allowedOwners: [search]\n')
    writeFileSync(path.join(dir, 'env.yaml'), 'allowedOwners: [fromenv]\n')
    writeFileSync(path.join(dir, 'flag.json'), '{"allowedOwners": ["fromflag"]}')
    env.DISPATCH_CONFIG = path.join(dir, 'env.yaml')
    expect((await loadConfig({cwd: project, env})).allowedOwners).to.deep.equal(['fromenv'])
    expect((await loadConfig({cwd: project, env, configPath: path.join(dir, 'flag.json')})).allowedOwners).to.deep.equal(['fromflag'])
  })

  it('says where it looked when there is no config at all', async () => {
    const error = await loadConfig({cwd: project, env}).catch((e) => e)
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.match(/No dispatch configuration/)
    expect(error.suggestion).to.include(path.join(dir, 'xdg', 'dispatch'))
  })

  it('names a missing --config file', async () => {
    const error = await loadConfig({cwd: project, env, configPath: 'nope.yaml'}).catch((e) => e)
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.include(path.join(project, 'nope.yaml'))
  })
})
