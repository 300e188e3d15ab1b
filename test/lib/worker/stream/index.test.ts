import {expect} from 'chai'

import {hasToolResult, healthSignal, parseLine, refusals, renderTail, summarise, toolUses} from '../../../../src/lib/worker/stream/index.js'

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

describe('stream-json: refused tool calls', () => {
  const user = (content: object[], meta?: object[]) => ({type: 'user', message: {role: 'user', content}, ...(meta ? {tool_result_meta: meta} : {})})
  const cases: Array<[string, object, string[]]> = [
    ['a reject in tool_result_meta (2.1.328)', user([{type: 'tool_result', tool_use_id: 't1', content: 'no', is_error: true}], [{id: 't1', permission_decision: {decision: 'reject', source: 'mode'}}]), ['t1']],
    ['an accepted call that failed is not a refusal', user([{type: 'tool_result', tool_use_id: 't1', content: 'exit 1', is_error: true}], [{id: 't1', permission_decision: {decision: 'accept', source: 'config'}}]), []],
    ['older builds: the refusal text alone', user([{type: 'tool_result', tool_use_id: 't2', content: [{type: 'text', text: "Claude requested permissions to use Bash, but you haven't granted it yet."}], is_error: true}]), ['t2']],
    ['auto mode unavailable', user([{type: 'tool_result', tool_use_id: 't3', content: 'Auto mode is unavailable: its safety check does not run', is_error: true}]), ['t3']],
    ['a successful result', user([{type: 'tool_result', tool_use_id: 't4', content: '', is_error: false}]), []],
    ['not a user event', {type: 'assistant', message: {content: []}}, []],
  ]
  for (const [name, ev, ids] of cases) {
    it(name, () => expect(refusals(ev as never).map((r) => r.id)).to.deep.equal(ids))
  }

  it('the real 2.1.328 fixture: one accepted Bash call, no refusals', async () => {
    const {readFileSync} = await import('node:fs')
    const events = readFileSync(new URL('../../../fixtures/stream-real-claude-2.1.328.jsonl', import.meta.url), 'utf8').split('\n').map(parseLine).filter((e) => e !== undefined)
    expect(events.flatMap(toolUses).map(([, name]) => name)).to.include('Bash')
    expect(events.some(hasToolResult)).to.equal(true)
    expect(events.flatMap(refusals)).to.deep.equal([])
    expect(summarise(events.map((e) => JSON.stringify(e))).permissionDenials).to.deep.equal({count: 0, tools: []})
  })
})
