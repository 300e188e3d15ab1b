import {expect} from 'chai'

import {healthSignal, parseLine, renderTail, summarise} from '../../../../src/lib/worker/stream/index.js'

describe('stream-json from the real Claude Code CLI (2.1.328 fixture)', () => {
  it('renders the tool call and the final text, and summarises the run', async () => {
    const {readFileSync} = await import('node:fs')
    const text = readFileSync(new URL('../../../fixtures/stream-real-claude-2.1.328.jsonl', import.meta.url), 'utf8')
    const rendered = renderTail(text, 50)
    expect(rendered[0]).to.match(/^• session started \(claude-opus-5-5\) [0-9a-f-]{36}$/)
    expect(rendered).to.include('◆ Committed the E2E note on the branch.')
    expect(rendered.some((l) => l.startsWith('→ Bash: printf'))).to.equal(true)
    expect(rendered[rendered.length - 1]).to.match(/^✓ done \(2 turn\(s\), \$0\.0012\): Committed the E2E note on the branch\.$/)
    const s = summarise(text.split('\n'))
    expect(s).to.include({numTurns: 2, isError: false})
    expect(s.sessionId).to.match(/^[0-9a-f-]{36}$/)
    // The first real reply is what tells dispatch the worker is healthy.
    const firstAssistant = text.split('\n').map(parseLine).find((e) => e?.type === 'assistant')!
    expect(healthSignal(firstAssistant)?.kind).to.equal('healthy')
  })
})
