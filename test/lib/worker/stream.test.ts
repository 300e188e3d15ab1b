import {expect} from 'chai'

import {healthSignal, parseLine, renderLine, renderTail, summarise} from '../../../src/lib/worker/stream/index.js'

const line = (ev: object) => JSON.stringify(ev)

describe('stream-json', () => {
  const health: Array<[string, object, string | undefined]> = [
    ['init proves nothing', {type: 'system', subtype: 'init', session_id: 's'}, undefined],
    ['a real reply is healthy', {type: 'assistant', message: {model: 'claude-x', content: []}}, 'healthy'],
    ['a synthetic reply is not', {type: 'assistant', message: {model: '<synthetic>', content: []}}, undefined],
    ['an error result fails', {type: 'result', is_error: true, result: 'API Error: 400'}, 'failed'],
    ['a success result is healthy', {type: 'result', is_error: false}, 'healthy'],
    ['api_retry 401 fails', {type: 'system', subtype: 'api_retry', error_status: 401}, 'failed'],
    ['api_retry 403 fails', {type: 'system', subtype: 'api_retry', error_status: 403}, 'failed'],
    ['api_retry 429 is patience, with a warning', {type: 'system', subtype: 'api_retry', error_status: 429, error: 'rate_limit'}, 'retrying'],
    ['api_retry 503 is patience, with a warning', {type: 'system', subtype: 'api_retry', error_status: 503, error: 'server_error'}, 'retrying'],
    ['api_retry 529 is patience, with a warning', {type: 'system', subtype: 'api_retry', error_status: 529, error: 'overloaded'}, 'retrying'],
    ['api_retry 408 fails (not a 429 or 5xx)', {type: 'system', subtype: 'api_retry', error_status: 408, error: 'server_error'}, 'failed'],
    // Claude Code 2.1.328 against a closed port: no status, category "unknown" (captured from the real binary).
    ['api_retry without a status fails (connection refused)', {type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, retry_delay_ms: 543, error_status: null, error: 'unknown', session_id: 's', uuid: 'u'}, 'failed'],
    ['api_retry with the status missing altogether fails', {type: 'system', subtype: 'api_retry', error: 'unknown'}, 'failed'],
  ]
  for (const [what, ev, kind] of health) {
    it(what, () => {
      expect(healthSignal(ev)?.kind).to.equal(kind)
    })
  }

  it('names the status, category and attempt in a retry warning', () => {
    const signal = healthSignal({type: 'system', subtype: 'api_retry', attempt: 2, max_retries: 10, error_status: 503, error: 'server_error'})
    expect(signal).to.deep.equal({kind: 'retrying', warning: {type: 'api_retry', status: 503, error: 'server_error', attempts: 2, message: 'the model API answered 503 (server_error) during start-up; claude is retrying (attempt 2 of 10)'}})
  })

  it('says an unreachable API could not be reached', () => {
    const signal = healthSignal({type: 'system', subtype: 'api_retry', error_status: null, error: 'unknown'})
    expect(signal).to.have.property('reason').that.matches(/could not be reached \(no HTTP status, error "unknown"/)
  })

  it('summarises session, cost and turns from the last result', () => {
    const s = summarise([
      line({type: 'system', subtype: 'init', session_id: 'abc'}),
      'not json',
      line({type: 'result', is_error: false, num_turns: 4, total_cost_usd: 0.25, result: 'ok', session_id: 'abc'}),
    ])
    expect(s).to.deep.equal({sessionId: 'abc', costUsd: 0.25, numTurns: 4, isError: false, text: 'ok'})
  })

  it('renders events for people, with key tool arguments, and keeps raw non-JSON lines', () => {
    const text = [
      line({type: 'system', subtype: 'init', session_id: 's1', model: 'm'}),
      line({type: 'assistant', message: {model: 'm', content: [{type: 'text', text: 'Looking\nmore'}, {type: 'tool_use', name: 'Bash', input: {command: 'npm test'}}]}}),
      line({type: 'assistant', message: {model: 'm', content: [{type: 'tool_use', name: 'Edit', input: {file_path: '/x/a.ts'}}]}}),
      line({type: 'user', message: {content: [{type: 'tool_result', is_error: true, content: 'boom'}]}}),
      'plain stderr line',
      line({type: 'result', is_error: false, num_turns: 2, total_cost_usd: 0.5, result: 'All done'}),
    ].join('\n')
    expect(renderTail(text, 20)).to.deep.equal([
      '• session started (m) s1',
      '◆ Looking',
      '→ Bash: npm test',
      '→ Edit: /x/a.ts',
      '✗ tool error: boom',
      'plain stderr line',
      '✓ done (2 turn(s), $0.5000): All done',
    ])
    expect(renderTail(text, 2)).to.have.length(2)
  })

  const reasons: Array<[string, unknown, string]> = [
    ['plain text', 'boom\nmore', 'boom'],
    ['Bash exit code then the cause', 'Exit code 1\nnpm ERR! missing script: tset\n', 'exit 1: npm ERR! missing script: tset'],
    ['Bash exit code alone', 'Exit code 2', 'exit 2'],
    ['colours dropped, other escapes kept for the terminal to make inert', 'Exit code 1\n\u001b[31mFAIL\u001b[0m a \u001b]8;;x\u0007', 'exit 1: FAIL a \\x1b]8;;x\\x07'],
    ['Claude Code wrapper tag', '<tool_use_error>File does not exist.</tool_use_error>', 'File does not exist.'],
    ['text blocks', [{type: 'text', text: '\nPermission denied'}, {type: 'image'}], 'Permission denied'],
    ['nothing', undefined, '(no output)'],
  ]
  for (const [name, content, want] of reasons) {
    it(`says why a tool call failed: ${name}`, () => {
      expect(renderLine(line({type: 'user', message: {content: [{type: 'tool_result', is_error: true, content}]}}))).to.deep.equal([`✗ tool error: ${want}`])
    })
  }

  it('makes escape sequences from the stream inert', () => {
    const out = renderLine(line({type: 'assistant', message: {model: 'm', content: [{type: 'text', text: 'hi \u001b]8;;http://evil\u0007link\u001b]8;;\u0007 \u202e'}]}}))
    expect(out[0]).not.to.match(/[\u001b\u0007\u202e]/)
    expect(out[0]).to.include('\\x1b]8;;http://evil\\x07')
    expect(renderLine('raw \u001b[2J clear')[0]).to.equal('raw \\x1b[2J clear')
  })

  it('parses only JSON objects', () => {
    expect(parseLine('[1]')).to.equal(undefined)
    expect(parseLine('{"type":"x"}')).to.deep.equal({type: 'x'})
  })
})

describe('stream-json from the real Claude Code CLI (2.1.328 fixture)', () => {
  it('renders the tool call and the final text, and summarises the run', async () => {
    const {readFileSync} = await import('node:fs')
    const text = readFileSync(new URL('../../fixtures/stream-real-claude-2.1.328.jsonl', import.meta.url), 'utf8')
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
