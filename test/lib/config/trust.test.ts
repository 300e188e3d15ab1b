import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {loadConfig} from '../../../src/lib/config/index.js'
import {UsageError} from '../../../src/lib/errors.js'
import {CONFIG_PLACES, useConfigDir} from '../../support/config-dir.js'

// Which searched configs are trusted (src/lib/config/trust.ts): none inside a git working tree unless the operator listed it.
describe('config trust', () => {
  const t = useConfigDir()
  let {dir, env} = t
  beforeEach(() => ({dir, env} = t))

  const places = CONFIG_PLACES

  describe('inside a git working tree', () => {
    let repo: string
    let worktree: string
    beforeEach(() => {
      repo = path.join(dir, 'project')
      execFileSync('git', ['init', '-q', repo])
      // A linked worktree has a .git file, not a directory: the same rule applies.
      worktree = path.join(dir, 'wt')
      execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x'])
      execFileSync('git', ['-C', repo, 'worktree', 'add', '-q', worktree])
      mkdirSync(path.join(dir, 'xdg', 'dispatch'), {recursive: true})
      writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.yaml'), 'allowedOwners: [operator]\n')
    })

    for (const [name, text] of places.filter(([n]) => !/js$/.test(n))) {
      it(`refuses an untrusted ${name} in the repository and in a worktree, naming the file and how to trust it`, async () => {
        for (const root of [repo, worktree]) {
          const file = path.join(root, name)
          writeFileSync(file, text.replace('acme', 'attacker'))
          const error = await loadConfig({cwd: root, env}).catch((e) => e)
          expect(error, root).to.be.instanceOf(UsageError)
          expect(error.message).to.include(file).and.match(/not trusted it/)
          expect(error.suggestion).to.include(`--config ${file}`).and.include('trustedConfigs').and.include(path.join(dir, 'xdg', 'dispatch', 'config.yaml'))
        }
      })
    }

    it('loads a searched config the operator listed under trustedConfigs, and only that one', async () => {
      writeFileSync(path.join(repo, '.dispatchrc'), 'allowedOwners: [trusted]\n')
      writeFileSync(path.join(worktree, '.dispatchrc'), 'allowedOwners: [other]\n')
      writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.yaml'), `allowedOwners: [operator]\ntrustedConfigs: [${path.join(repo, '.dispatchrc')}]\n`)
      expect((await loadConfig({cwd: path.join(repo), env})).allowedOwners).to.deep.equal(['trusted'])
      expect(await loadConfig({cwd: worktree, env}).catch((e) => e)).to.be.instanceOf(UsageError)
    })

    it('ignores trustedConfigs anywhere but the XDG config, with a warning', async () => {
      writeFileSync(path.join(repo, '.dispatchrc'), `allowedOwners: [attacker]\ntrustedConfigs: [${path.join(repo, '.dispatchrc')}]\n`)
      expect(await loadConfig({cwd: repo, env}).catch((e) => e)).to.be.instanceOf(UsageError)
      const warnings: string[] = []
      await loadConfig({cwd: repo, env, configPath: path.join(repo, '.dispatchrc'), warn: (m) => warnings.push(m)})
      expect(warnings.join('\n')).to.match(/trustedConfigs is read only from/)
    })

    it('uses the XDG config from inside a repository that has no config of its own', async () => {
      expect((await loadConfig({cwd: worktree, env})).allowedOwners).to.deep.equal(['operator'])
    })
  })
})
