import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {loadConfig} from '../../../src/lib/config/index.js'
import {UsageError} from '../../../src/lib/errors.js'
import {useConfigDir} from '../../support/config-dir.js'

// What a loaded file must hold (src/lib/config/validate.ts, keys.ts, paths.ts): usage errors naming the file and key, warnings, resolved paths.
describe('config validation', () => {
  const t = useConfigDir()
  let {dir, env, project} = t
  beforeEach(() => ({dir, env, project} = t))

  const invalid: Array<[string, string, RegExp]> = [
    ['missing allowedOwners', 'maxActive: 3\n', /allowedOwners: is required/],
    ['empty allowedOwners', 'allowedOwners: []\n', /allowedOwners: expected at least one owner/],
    ['wrong type', 'allowedOwners: [acme]\nmaxActive: "lots"\n', /maxActive: expected number, got string/],
    ['bad enum', 'allowedOwners: [acme]\nlanding: yolo\n', /landing: expected one of pr, merge, none/],
    ['bad owner name', 'allowedOwners: ["../etc"]\n', /allowedOwners\.0: expected a GitHub-style owner name/],
    ['not a mapping', '- a\n- b\n', /expected a mapping/],
    ['syntax error', 'allowedOwners: [acme\n', /could not be read/],
    ['bad repos key', 'allowedOwners: [acme]\nrepos: {"acme": "/tmp/x"}\n', /repos\.acme: expected a key of the form owner\/repo/],
    ['bad url', 'allowedOwners: [acme]\nforgejo: {baseUrl: "ftp://x"}\n', /forgejo\.baseUrl/],
    ['an unknown forge prefix', 'allowedOwners: ["gitlab:acme"]\n', /allowedOwners\.0: expected a GitHub-style owner name, bare or as github:name \/ forgejo:name/],
    ['a bad name after a prefix', 'allowedOwners: [acme, "github:x.git"]\n', /allowedOwners\.1: expected a GitHub-style owner name/],
    ['an empty name after a prefix', 'allowedOwners: ["forgejo:"]\n', /allowedOwners\.0: expected/],
    ['forgejo: without a forgejo section', 'allowedOwners: [acme, "forgejo:acme"]\n', /allowedOwners\.1: forgejo:acme names Forgejo, but no forgejo section is configured/],
  ]
  for (const [what, text, pattern] of invalid) {
    it(`rejects ${what} as a usage error naming the file and key`, async () => {
      const file = path.join(dir, 'bad.yaml')
      writeFileSync(file, text)
      const error = await loadConfig({cwd: project, env, configPath: file}).catch((e) => e)
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.include(file)
      expect(error.message).to.match(pattern)
    })
  }

  it('warns about harmless unknown keys, with the key it probably meant', async () => {
    const file = path.join(dir, 'c.yaml')
    writeFileSync(file, 'allowedOwners: [acme]\nnotes: mine\nclaude: {binn: x}\nnotify: {desktp: true}\n')
    const warnings: string[] = []
    await loadConfig({cwd: project, env, configPath: file, warn: (m) => warnings.push(m)})
    expect(warnings).to.deep.equal([
      `warning: ${file}: unknown key "notes" ignored`,
      `warning: ${file}: unknown key "claude.binn" ignored (did you mean "claude.bin"?)`,
      `warning: ${file}: unknown key "notify.desktp" ignored (did you mean "notify.desktop"?)`,
    ])
  })

  const risky: Array<[string, string, string]> = [
    ['permisionMode: plan', 'permisionMode', 'claude.permissionMode'],
    ['claude: {permissionmode: plan}', 'claude.permissionmode', 'claude.permissionMode'],
    ['maxActiv: 3', 'maxActiv', 'maxActive'],
    ['allowedOwner: [evil]', 'allowedOwner', 'allowedOwners'],
    ['claude: {maxBudgetUSD: 1}', 'claude.maxBudgetUSD', 'claude.maxBudgetUsd'],
    ['landng: none', 'landng', 'landing'],
  ]
  for (const [yaml, key, near] of risky) {
    it(`refuses a misspelt key that guards safety or behaviour: ${key}`, async () => {
      const file = path.join(dir, 'c.yaml')
      writeFileSync(file, `allowedOwners: [acme]\n${yaml}\n`)
      const error = await loadConfig({cwd: project, env, configPath: file}).catch((e) => e)
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.equal(`Config file ${file} is invalid: unknown key "${key}" (did you mean "${near}"?).`)
      expect(error.suggestion).to.match(/ \/\S+\/\.dispatchrc\.example\.$/)
    })
  }

  it('expands ~ and resolves relative paths against the config file, with XDG defaults', async () => {
    const file = path.join(dir, 'project', 'c.yaml')
    writeFileSync(file, 'allowedOwners: [acme]\nworkspace: {root: ~/src}\nrepos: {acme/API: ./checkouts/api}\nprompts: {headless: ~/p.md}\n')
    const config = await loadConfig({cwd: project, env, configPath: file})
    expect(config.workspace.root).to.equal(path.join(dir, 'home', 'src'))
    expect(config.repos['acme/api']).to.equal(path.join(dir, 'project', 'checkouts', 'api'))
    expect(config.prompts.headless).to.equal(path.join(dir, 'home', 'p.md'))
    expect(config.stateDir).to.equal(path.join(dir, 'state', 'dispatch'))
    expect(config.worktreeRoot).to.equal(path.join(dir, 'data', 'dispatch', 'worktrees'))
    expect(config.claude.allowedTools).to.include('Bash')
    expect(config.healthWindowMs).to.equal(4000)
  })

  it('derives the Forgejo API URL from baseUrl', async () => {
    const file = path.join(dir, 'c.yaml')
    writeFileSync(file, 'allowedOwners: [acme]\nforgejo: {baseUrl: "https://code.example.org/"}\n')
    const config = await loadConfig({cwd: project, env, configPath: file})
    expect(config.forgejo).to.deep.equal({baseUrl: 'https://code.example.org', apiUrl: 'https://code.example.org/api/v1', tokenEnv: 'FORGEJO_TOKEN'})
  })

  const prefixed: Array<[string, string, string[]]> = [
    ['bare and prefixed entries side by side', 'allowedOwners: [acme, "github:solo", "forgejo:team"]\nforgejo: {baseUrl: "https://code.example.org"}\n', ['acme', 'github:solo', 'forgejo:team']],
    ['github: without Forgejo configured', 'allowedOwners: ["github:acme"]\n', ['github:acme']],
    ['one owner pinned to both forges', 'allowedOwners: ["github:acme", "forgejo:acme"]\nforgejo: {baseUrl: "https://code.example.org"}\n', ['github:acme', 'forgejo:acme']],
  ]
  for (const [what, text, owners] of prefixed) {
    it(`accepts allowedOwners entries naming their forge: ${what}`, async () => {
      const file = path.join(dir, 'owners.yaml')
      writeFileSync(file, text)
      expect((await loadConfig({cwd: project, env, configPath: file})).allowedOwners).to.deep.equal(owners)
    })
  }
})
