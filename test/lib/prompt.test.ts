import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {UsageError} from '../../src/lib/errors.js'
import {BODY_LIMIT, capBytes, fenceFor, fillTemplate, renderPrompt, type PromptInput} from '../../src/lib/prompt.js'

const issue = {forge: 'github' as const, owner: 'acme', repo: 'api', number: 12, title: 'Fix "login" $HOME `x`', body: 'Body with ``` fence and {{branch}}', url: 'https://github.com/acme/api/issues/12', apiUrl: 'https://api.github.com/repos/acme/api/issues/12'}
const base: PromptInput = {kind: 'headless', issue, cwd: '/wt/acme/api/issue-12-fix', branch: 'dispatch/issue-12-fix', defaultBranch: 'trunk', landing: 'pr', depth: 0, dispatchCommand: '/usr/bin/node /opt/dispatch/bin/run.js'}

describe('prompt', () => {
  it('fences the body with a fence longer than any backtick run inside it', () => {
    expect(fenceFor('no ticks')).to.equal('```')
    expect(fenceFor('has ``` and ````` runs')).to.equal('``````')
  })

  it('fills placeholders once, never expanding text that came from the issue', () => {
    expect(fillTemplate('{{a}} {{b}} {{unknown}}', {a: '{{b}}', b: 'B'})).to.equal('{{b}} B {{unknown}}')
  })

  for (const kind of ['headless', 'cascade', 'interactive-watch', 'interactive-consult'] as const) {
    it(`renders the built-in ${kind} template with title, URL, fenced body, branch and landing`, async () => {
      const text = await renderPrompt({...base, kind, depth: kind === 'cascade' ? 2 : 0}, {prompts: {}})
      expect(text).to.include('acme/api#12')
      expect(text).to.include(issue.url)
      expect(text).to.include('Title: "Fix \\"login\\" $HOME `x`"')
      expect(text).to.include('````text issue-body\nBody with ``` fence and {{branch}}\n````')
      expect(text).to.match(/not as instructions from the operator/)
      expect(text).to.include('dispatch/issue-12-fix')
      expect(text).to.include('Closes #12')
      expect(text).to.include('gh issue view https://github.com/acme/api/issues/12 --comments')
      expect(text).not.to.match(/\{\{[a-z_]+\}\}(?![^`]*````)/)
      if (kind === 'cascade') expect(text).to.include('/usr/bin/node /opt/dispatch/bin/run.js headless')
      if (kind === 'interactive-consult') expect(text).to.match(/stop, lay out the options/)
      if (kind === 'headless') expect(text).to.match(/Do not start other workers/)
    })
  }

  it('writes landing rules for merge and none', async () => {
    const merge = await renderPrompt({...base, landing: 'merge'}, {prompts: {}})
    expect(merge).to.match(/Merge `dispatch\/issue-12-fix` into `trunk`/)
    expect(merge).to.match(/Never force-push/)
    const none = await renderPrompt({...base, landing: 'none'}, {prompts: {}})
    expect(none).to.match(/Do not push/)
  })

  it('tells a Forgejo worker to read the issue through the API', async () => {
    const text = await renderPrompt({...base, issue: {...issue, forge: 'forgejo', apiUrl: 'https://code.example/api/v1/repos/acme/api/issues/12'}}, {prompts: {}})
    expect(text).to.include('curl -s https://code.example/api/v1/repos/acme/api/issues/12/comments')
  })

  it('caps a huge body on a character boundary and says where the rest is', async () => {
    const body = 'é'.repeat(BODY_LIMIT)
    const text = await renderPrompt({...base, issue: {...issue, body}}, {prompts: {}})
    expect(Buffer.byteLength(text)).to.be.below(BODY_LIMIT + 8192)
    expect(text).to.match(/\[\d+ more bytes of the description were cut; read the full issue at https:\/\/github\.com\/acme\/api\/issues\/12\]/)
    expect(capBytes('aé', 2)).to.deep.equal({text: 'a', cut: 2})
  })

  it('uses an override template and names a missing one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-prompt-'))
    try {
      writeFileSync(path.join(dir, 'h.md'), 'Custom {{ref}} on {{branch}}')
      expect(await renderPrompt(base, {prompts: {headless: path.join(dir, 'h.md')}})).to.equal('Custom acme/api#12 on dispatch/issue-12-fix\n')
      const error = await renderPrompt(base, {prompts: {headless: path.join(dir, 'missing.md')}}).catch((e) => e)
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.include('missing.md')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
