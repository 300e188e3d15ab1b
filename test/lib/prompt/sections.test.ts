import {expect} from 'chai'

import {capBytes} from '../../../src/lib/prompt/sanitize.js'
import {BODY_LIMIT} from '../../../src/lib/prompt/sections.js'
import {renderPrompt} from '../../../src/lib/prompt/template.js'
import {HOSTILE, INVISIBLE_CHAR, PAYLOAD, splitAtDataBlock} from '../../support/hostile.js'
import {base, issue} from '../../support/prompt-input.js'

// The sections are tested through renderPrompt, as the worker reads them.
describe('prompt: sections', () => {
  for (const kind of ['headless', 'cascade', 'interactive-watch', 'interactive-consult'] as const) {
    for (const h of HOSTILE) {
      it(`keeps ${h.what} inside the fenced data block (${kind})`, async () => {
        const text = await renderPrompt({...base, kind, issue: {...issue, title: h.title, body: h.body}}, {prompts: {}})
        const {outside, inside} = splitAtDataBlock(text)
        expect(outside).not.to.match(PAYLOAD)
        expect(outside).to.include('acme/api#12 (https://github.com/acme/api/issues/12)')
        expect(inside).to.match(/^title: "/)
        // No invisible character survives anywhere; the prompt says some were removed.
        expect(text).not.to.match(INVISIBLE_CHAR)
        if (INVISIBLE_CHAR.test(h.title + h.body)) expect(outside).to.match(/dispatch removed \d+ invisible character/)
        else expect(outside).not.to.match(/invisible character/)
        if (!h.what.startsWith('tag')) expect(inside.replace(/\\n/g, '\n')).to.match(/Operator note/)
      })
    }
  }

  it('gives landing: merge a recipe that works from a linked worktree', async () => {
    const merge = await renderPrompt({...base, landing: 'merge'}, {prompts: {}})
    expect(merge).to.include('`git checkout trunk` fails here')
    expect(merge).to.include('says "Closes #12" in its message')
    expect(merge).to.include('`git fetch origin && git rebase origin/trunk`, then run the tests again')
    expect(merge).to.include('`git push origin HEAD:trunk`')
    expect(merge).to.match(/Never force-push/)
    expect(merge).not.to.match(/Merge `dispatch\/issue-12-fix` into/)
    const none = await renderPrompt({...base, landing: 'none'}, {prompts: {}})
    expect(none).to.match(/Do not push/)
  })

  for (const kind of ['headless', 'cascade', 'interactive-watch', 'interactive-consult'] as const) {
    for (const landing of ['pr', 'merge', 'none'] as const) {
      it(`tells a ${kind} worker (landing: ${landing}) never to skip hooks or rewrite published history`, async () => {
        const text = await renderPrompt({...base, kind, landing}, {prompts: {}})
        expect(text).to.include('Never skip the repository\'s hooks (no `--no-verify` on commit or push, no `git commit -n`)')
        expect(text).to.include('no force-push (`--force`, `--force-with-lease`) to a shared branch')
      })
    }
  }

  it('tells a Forgejo worker to read the issue through the API, with the configured token variable', async () => {
    const forgejo = {...issue, forge: 'forgejo' as const, apiUrl: 'https://code.example/api/v1/repos/acme/api/issues/12'}
    const text = await renderPrompt({...base, issue: forgejo, forgejoTokenEnv: 'CODEBERG_TOKEN'}, {prompts: {}})
    expect(text).to.include('curl -s https://code.example/api/v1/repos/acme/api/issues/12/comments')
    expect(text).to.include('-H "Authorization: token $CODEBERG_TOKEN"')
    expect(text).not.to.include('FORGEJO_TOKEN')
    expect(await renderPrompt({...base, issue: forgejo}, {prompts: {}})).to.include('$FORGEJO_TOKEN')
  })

  it('caps a huge body on a character boundary and says where the rest is', async () => {
    const body = 'é'.repeat(BODY_LIMIT)
    const text = await renderPrompt({...base, issue: {...issue, body}}, {prompts: {}})
    expect(Buffer.byteLength(text)).to.be.below(BODY_LIMIT + 8192)
    expect(text).to.match(/\[\d+ more bytes of the description were cut; read the full issue at https:\/\/github\.com\/acme\/api\/issues\/12\]/)
    expect(capBytes('aé', 2)).to.deep.equal({text: 'a', cut: 2})
  })
})
