import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {UsageError} from '../../../src/lib/errors.js'
import {fillTemplate, renderPrompt} from '../../../src/lib/prompt/template.js'
import {base, issue} from '../../support/prompt-input.js'

describe('prompt: template', () => {
  it('refuses an override template that would put {{title}} or {{body}} outside the data block', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-prompt-'))
    try {
      for (const name of ['title', 'body']) {
        const file = path.join(dir, `${name}.md`)
        writeFileSync(file, `Work on {{ref}}: "{{${name}}}"\n{{issue}}\n`)
        const error = await renderPrompt(base, {prompts: {headless: file}}).catch((e) => e)
        expect(error).to.be.instanceOf(UsageError)
        expect(error.message).to.include(`prompts.headless (${file}) uses {{${name}}}`)
        expect(error.suggestion).to.match(/\{\{issue\}\}/)
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('fills placeholders once, never expanding text that came from the issue', () => {
    expect(fillTemplate('{{a}} {{b}} {{unknown}}', {a: '{{b}}', b: 'B'})).to.equal('{{b}} B {{unknown}}')
  })

  for (const kind of ['headless', 'cascade', 'interactive-watch', 'interactive-consult'] as const) {
    it(`renders the built-in ${kind} template with title, URL, fenced body, branch and landing`, async () => {
      const text = await renderPrompt({...base, kind, depth: kind === 'cascade' ? 2 : 0}, {prompts: {}})
      expect(text).to.include('acme/api#12')
      expect(text).to.include(issue.url)
      expect(text).to.include('````text issue-data\ntitle: "Fix \\"login\\" $HOME `x`"\n\nBody with ``` fence and {{branch}}\n````')
      expect(text.split('\n')[0]).to.equal(kind === 'cascade' ? 'You are a coordinating worker on acme/api#12 (https://github.com/acme/api/issues/12).' : kind === 'headless' ? 'You are working unattended on acme/api#12 (https://github.com/acme/api/issues/12).' : 'We are working on acme/api#12 (https://github.com/acme/api/issues/12).')
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
