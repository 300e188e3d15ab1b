import {expect} from 'chai'

import {summarise} from '../../../../src/lib/worker/stream/summary.js'

const line = (ev: object) => JSON.stringify(ev)

describe('stream-json: summary', () => {
  it('summarises session, cost and turns from the last result', () => {
    const s = summarise([
      line({type: 'system', subtype: 'init', session_id: 'abc'}),
      'not json',
      line({type: 'result', is_error: false, num_turns: 4, total_cost_usd: 0.25, result: 'ok', session_id: 'abc'}),
    ])
    // No permission_denials key (older Claude Code): nothing known about refusals.
    expect(s).to.deep.equal({sessionId: 'abc', costUsd: 0.25, numTurns: 4, isError: false, text: 'ok', permissionDenials: null})
  })

  it('counts the result\'s permission_denials and names each tool once, first refused first', () => {
    const denial = (tool_name: string, id: string) => ({tool_name, tool_use_id: id, tool_input: {}})
    const s = summarise([line({type: 'result', is_error: false, num_turns: 2, permission_denials: [denial('Write', 'a'), denial('Bash', 'b'), denial('Write', 'c')]})])
    expect(s.permissionDenials).to.deep.equal({count: 3, tools: ['Write', 'Bash']})
    expect(summarise([line({type: 'result', permission_denials: []})]).permissionDenials).to.deep.equal({count: 0, tools: []})
  })
})
