import {expect} from 'chai'

import {inertLine, inertText, paint, truncate, useColor} from '../../src/lib/terminal.js'

describe('terminal', () => {
  const lines: Array<[string, string, string]> = [
    ['plain text', 'Fix the login bug', 'Fix the login bug'],
    ['a screen clear', 'a\u001b[2Jb', 'a\\x1b[2Jb'],
    ['an OSC title change', '\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ['an OSC 8 link', '\u001b]8;;https://evil.example\u0007x\u001b]8;;\u0007', '\\x1b]8;;https://evil.example\\x07x\\x1b]8;;\\x07'],
    ['a carriage return', 'safe\rEVIL', 'safe\\x0dEVIL'],
    ['a C1 CSI', 'a\u009b31mb', 'a\\x9b31mb'],
    ['a bidi override', 'abc\u202eevil\u202c', 'abc\\u202eevil\\u202c'],
    ['a zero-width space', 'a\u200bb', 'a\\u200bb'],
    ['Unicode tag characters (hidden text)', 'ok\u{E0001}\u{E0070}\u{E0075}\u{E0073}\u{E0068}\u{E007F}', 'ok\\u{e0001}\\u{e0070}\\u{e0075}\\u{e0073}\\u{e0068}\\u{e007f}'],
    ['an unassigned tag character', 'a\u{E0000}b', 'a\\u{e0000}b'],
    ['other format characters', 'a\u00adb\u2064c\u180ed\u{110BD}e\ufff9f', 'a\\xadb\\u2064c\\u180ed\\u{110bd}e\\ufff9f'],
    ['a run of variation selectors after one character', 'a\ufe00\ufe01\u{E0100}', 'a\ufe00\\ufe01\\u{e0100}'],
    ['an emoji with its variation selector', 'done \u2714\ufe0f', 'done \u2714\ufe0f'],
    ['NUL and DEL', 'a\u0000b\u007f', 'a\\x00b\\x7f'],
    ['newlines and tabs on one line', 'a\nb\tc', 'a b c'],
    ['non-ASCII that is harmless', 'Ünïcödé — 日本語 ✓', 'Ünïcödé — 日本語 ✓'],
  ]
  for (const [what, input, expected] of lines) {
    it(`makes ${what} inert on one line`, () => {
      expect(inertLine(input)).to.equal(expected)
      // eslint-disable-next-line no-control-regex
      expect(inertLine(input)).not.to.match(/[\u0000-\u001f\u007f-\u009f\p{Cf}\u{E0000}-\u{E007F}]/u)
      expect(inertText(input)).not.to.match(/[\p{Cf}\u{E0000}-\u{E007F}]/u)
    })
  }

  it('keeps newlines and tabs in multi-line text, and folds CRLF', () => {
    expect(inertText('one\r\ntwo\n\tthree\u001b[0m')).to.equal('one\ntwo\n\tthree\\x1b[0m')
  })

  it('cuts to a width by characters, marking the cut', () => {
    expect(truncate('abcdef', 10)).to.equal('abcdef')
    expect(truncate('abcdef', 4)).to.equal('abc…')
    expect(truncate('日本語テキスト', 3)).to.equal('日本…')
    expect(truncate('abc', 0)).to.equal('')
  })

  const colour: Array<[string, boolean | undefined, NodeJS.ProcessEnv, boolean]> = [
    ['a terminal', true, {TERM: 'xterm-256color'}, true],
    ['a pipe', undefined, {TERM: 'xterm-256color'}, false],
    ['NO_COLOR=1', true, {NO_COLOR: '1'}, false],
    ['NO_COLOR=0 (any value counts)', true, {NO_COLOR: '0'}, false],
    ['an empty NO_COLOR', true, {NO_COLOR: ''}, true],
    ['a dumb terminal', true, {TERM: 'dumb'}, false],
  ]
  for (const [what, isTTY, env, expected] of colour) {
    it(`${expected ? 'colours' : 'does not colour'} ${what}`, () => {
      expect(useColor({isTTY: isTTY as true}, env)).to.equal(expected)
    })
  }

  it('paints only when asked', () => {
    expect(paint('✓', 'green', true)).to.equal('\u001b[32m✓\u001b[0m')
    expect(paint('✗', 'red', false)).to.equal('✗')
  })
})
