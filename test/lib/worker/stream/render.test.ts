import {expect} from 'chai'

import {renderLine, renderTail} from '../../../../src/lib/worker/stream/render.js'

const line = (ev: object) => JSON.stringify(ev)

describe('stream-json: render', () => {
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
})
