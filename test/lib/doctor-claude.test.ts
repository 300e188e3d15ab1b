import {expect} from 'chai'

import {permissionModeCheck, permissionModeChoices} from '../../src/lib/doctor-claude.js'
import {initForges} from '../../src/lib/init-forges.js'

const HELP_2_1_328 = `Options:
  --permission-mode <mode>              Permission mode to use for the session
                                        (choices: "acceptEdits", "auto",
                                        "bypassPermissions", "manual",
                                        "dontAsk", "plan")
  -p, --print                           Print response and exit`

describe('doctor: permission mode', () => {
  it('reads the choices from claude --help (2.1.328 wording, wrapped over lines)', () => {
    expect(permissionModeChoices(HELP_2_1_328)).to.deep.equal(['acceptEdits', 'auto', 'bypassPermissions', 'manual', 'dontAsk', 'plan'])
    expect(permissionModeChoices('Usage: claude')).to.equal(undefined)
  })

  const choices = permissionModeChoices(HELP_2_1_328)
  const cases: Array<[string, string[] | undefined, 'ok' | 'warn' | 'fail']> = [
    ['acceptEdits', choices, 'ok'],
    ['bypassPermissions', choices, 'ok'],
    ['auto', choices, 'warn'],
    ['default', choices, 'warn'], // manual, as --help calls it
    ['plan', choices, 'warn'],
    ['dontAsk', choices, 'warn'],
    ['auto', ['acceptEdits', 'plan'], 'fail'],
    ['acceptEdits', undefined, 'ok'],
  ]
  for (const [mode, list, status] of cases) {
    it(`${mode} against ${list ? list.length + ' choices' : 'an unknown claude'}: ${status}`, () => expect(permissionModeCheck(mode, list).status).to.equal(status))
  }
})

describe('init: forge sections', () => {
  it('GitHub Enterprise gets /api/v3; github.com no section; Forgejo its base URL', () => {
    expect(initForges(['acme'], {githubUrl: 'https://ghe.example.com/'})).to.deep.equal({github: {webUrl: 'https://ghe.example.com', apiUrl: 'https://ghe.example.com/api/v3'}})
    expect(initForges(['acme'], {githubUrl: 'https://github.com'})).to.deep.equal({})
    expect(initForges(['forgejo:acme'], {forgejoUrl: 'https://git.example.org/forgejo'})).to.deep.equal({forgejo: {baseUrl: 'https://git.example.org/forgejo'}})
    expect(() => initForges(['forgejo:acme'], {})).to.throw(/names Forgejo, but no Forgejo is given/)
  })
})
