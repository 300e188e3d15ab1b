import {expect} from 'chai'

import {branchName, isIssueBranch, isWorkerLogPath, logPath, slugify, timestampForFile, worktreeName, worktreePath} from '../../src/lib/naming.js'

describe('naming', () => {
  const slugs: Array<[string, string]> = [
    ['Fix the login bug', 'fix-the-login-bug'],
    ['  Crash: on   "save"!! ', 'crash-on-save'],
    ['Café résumé naïve', 'cafe-resume-naive'],
    ['日本語のタイトル', ''],
    ['', ''],
    ['Fix \u001b[31mred\u001b[0m text', 'fix-red-text'],
    ['one two three four five six seven eight nine', 'one-two-three-four-five-six-seven-eight'],
    ['a'.repeat(60), 'a'.repeat(40)],
    ['Version 2.0 release', 'version-2-0-release'],
  ]
  for (const [title, slug] of slugs) {
    it(`slugs ${JSON.stringify(title)} as ${JSON.stringify(slug)}`, () => {
      expect(slugify(title)).to.equal(slug)
      expect(slugify(title).length).to.be.at.most(40)
    })
  }

  it('names worktrees and branches, falling back to issue-N', () => {
    expect(worktreeName(12, 'Fix it')).to.equal('issue-12-fix-it')
    expect(worktreeName(12, '!!!')).to.equal('issue-12')
    expect(branchName(3, 'Add docs')).to.equal('dispatch/issue-3-add-docs')
  })

  it('recognises an issue branch whatever the title was', () => {
    expect(isIssueBranch('dispatch/issue-12-old-title', 12)).to.equal(true)
    expect(isIssueBranch('dispatch/issue-12', 12)).to.equal(true)
    expect(isIssueBranch('dispatch/issue-123-x', 12)).to.equal(false)
    expect(isIssueBranch('feature/issue-12-x', 12)).to.equal(false)
  })

  it('keeps worktree and log paths inside their roots', () => {
    expect(worktreePath('/wt', 'acme', 'api', 1, 'x')).to.equal('/wt/acme/api/issue-1-x')
    expect(() => worktreePath('/wt', '..', 'api', 1, 'x')).to.throw(/outside/)
    expect(() => worktreePath('/wt', 'acme', '../../etc', 1, 'x')).to.throw(/outside/)
    expect(logPath('/s', 'acme', 'api', 1, new Date('2026-01-02T03:04:05Z'))).to.equal('/s/logs/acme/api/issue-1-20260102-030405.log')
    expect(() => logPath('/s', '..', '..', 1, new Date())).to.throw(/outside/)
  })

  it('formats file timestamps in UTC', () => {
    expect(timestampForFile(new Date('2026-11-23T23:59:09.999Z'))).to.equal('20261123-235909')
  })

  describe('isWorkerLogPath (pure)', () => {
    const table: Array<[string, boolean]> = [
      ['/s/logs/acme/api/issue-7-20261123-235909.log', true],
      ['/s/logs/acme/api/issue-7-20261123-235909-2.log', true],
      ['/s/logs/acme/api/../api/issue-7-20261123-235909.log', true],
      ['/s/logs/acme/issue-7-20261123-235909.log', false],
      ['/s/logs/acme/api/x/issue-7-20261123-235909.log', false],
      ['/s/logs/acme/api/notes.txt', false],
      ['/s/logs/acme/api/issue-7.log', false],
      ['/s/logs/../../home/.ssh/issue-7-20261123-235909.log', false],
      ['/home/op/.ssh/id_ed25519', false],
      ['/s/other/acme/api/issue-7-20261123-235909.log', false],
    ]
    for (const [file, want] of table) it(`${file} → ${want}`, () => expect(isWorkerLogPath('/s', file)).to.equal(want))
    it('accepts what logPath makes', () => expect(isWorkerLogPath('/s', logPath('/s', 'acme', 'api', 7, new Date()))).to.equal(true))
  })
})
