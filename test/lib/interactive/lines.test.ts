import {expect} from 'chai'

import {TITLE_MAX, printLine, sessionTitle} from '../../../src/lib/interactive/lines.js'

describe('sessionTitle', () => {
  const long = 'word '.repeat(40).trim()
  const table: Array<[string, string, string]> = [
    ['a plain title', 'Fix the login bug', 'acme/api#12: Fix the login bug'],
    ['surrounding whitespace', '  \t Fix the login bug \n', 'acme/api#12: Fix the login bug'],
    ['inner runs of whitespace and newlines', 'Line one\nline two\r\n\tthree   four', 'acme/api#12: Line one line two three four'],
    ['an empty title', '   ', 'acme/api#12'],
    ['control characters', 'bad \u001b]0;pwned\u0007 title', 'acme/api#12: bad \\x1b]0;pwned\\x07 title'],
    ['bidi overrides', 'abc\u202edef', 'acme/api#12: abc\\u202edef'],
    ['a long title, cut on the bound with a mark', long, `acme/api#12: ${long}`.slice(0, TITLE_MAX - 1).trimEnd() + '…'],
  ]
  for (const [what, title, expected] of table) {
    it(`${what}`, () => {
      expect(sessionTitle('acme/api#12', title)).to.equal(expected)
    })
  }

  it('never exceeds the bound, counting characters not UTF-16 units', () => {
    const title = sessionTitle('acme/api#12', '日本語✓😀'.repeat(50))
    expect([...title]).to.have.length(TITLE_MAX)
    expect(title.endsWith('…')).to.equal(true)
    expect(title).not.to.match(/[\uD800-\uDBFF]…$/)
  })
})

describe('printLine', () => {
  const spec = {cwd: '/wt/acme/api/issue 1', claudeBin: 'claude', args: ['--permission-mode', 'auto']}
  it('cd, then claude with its args, reading the prompt file on stdin; every word quoted as needed', () => {
    expect(printLine(spec, '/state/prompts/p.md')).to.equal("cd '/wt/acme/api/issue 1' && claude --permission-mode auto < /state/prompts/p.md")
  })
  it("carries the worker's index and port, as a dispatched worker has them in its environment", () => {
    expect(printLine({...spec, env: {DISPATCH_WORKER_INDEX: '2', DISPATCH_PORT: '3120', GH_TOKEN: 'secret'}})).to.equal("cd '/wt/acme/api/issue 1' && DISPATCH_WORKER_INDEX=2 DISPATCH_PORT=3120 claude --permission-mode auto")
  })
  it('leaves out anything but digits there', () => {
    expect(printLine({...spec, env: {DISPATCH_PORT: '$(rm -rf ~)'}})).to.equal("cd '/wt/acme/api/issue 1' && claude --permission-mode auto")
  })
})
