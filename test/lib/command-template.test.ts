import {expect} from 'chai'

import {LAUNCHER_PLACEHOLDERS, fillCommandTemplate, notifyCommandProblem, parseCommandTemplate} from '../../src/lib/command-template.js'

const values = {cwd: '/w/it s', argv: ['node', 'runner.js', '/s/x.json'], title: `a "b" 'c' $(d) \`e\` \\ f`, ref: 'acme/api#1'}
const run = (template: string) => fillCommandTemplate(parseCommandTemplate(template, LAUNCHER_PLACEHOLDERS), values)

describe('command templates', () => {
  const good: Array<[string, string[]]> = [
    ['wezterm cli spawn --cwd {cwd} -- {argv}', ['wezterm', 'cli', 'spawn', '--cwd', '/w/it s', '--', 'node', 'runner.js', '/s/x.json']],
    ['kitty --directory={cwd} --title {title} {argv}', ['kitty', `--directory=/w/it s`, '--title', values.title, ...values.argv]],
    ["sh -c 'echo \"$1\" {not-a-placeholder}' sh {title}", ['sh', '-c', 'echo "$1" {not-a-placeholder}', 'sh', values.title]],
    ['a "b c" d\\ e \'f g\'', ['a', 'b c', 'd e', 'f g']],
    ['x "q\\"uote\\$" {ref}{ref}', ['x', 'q"uote$', 'acme/api#1acme/api#1']],
    ['  spaced\tout\n{ref}  ', ['spaced', 'out', 'acme/api#1']],
    ['x {unknown} {Title}', ['x', '{unknown}', '{Title}']],
  ]
  for (const [template, argv] of good) {
    it(`splits ${JSON.stringify(template)} into words and fills values as data`, () => {
      expect(run(template)).to.deep.equal(argv)
    })
  }

  const bad: Array<[string, RegExp]> = [
    ['wezterm --title "{title}" {argv}', /\{title\} is inside double quotes.*--title \{title\}/],
    ["sh -c 'notify {title}'", /\{title\} is inside single quotes/],
    ['x "--cwd={cwd}"', /\{cwd\} is inside double quotes/],
    ['x {argv} | tee log', /shell syntax "\|"/],
    ['x {argv}; y', /shell syntax ";"/],
    ['x $(id) {argv}', /shell syntax "\$"/],
    ['x `id`', /shell syntax "`"/],
    ['x "$HOME"', /\$ inside double quotes/],
    ['x > out', /shell syntax ">"/],
    ['x --args={argv}', /\{argv\} .* word of its own/],
    ['{cwd}/bin/term {argv}', /first word/],
    ["x 'open", /unterminated single quote/],
    ['x "open', /unterminated double quote/],
    ['   ', /empty/],
  ]
  for (const [template, why] of bad) {
    it(`refuses ${JSON.stringify(template)}`, () => {
      expect(() => parseCommandTemplate(template, LAUNCHER_PLACEHOLDERS)).to.throw(why)
    })
  }

  it('refuses placeholders in notify.command, which a shell runs, and points at the variables', () => {
    expect(notifyCommandProblem('cat >> ~/events.jsonl')).to.equal(undefined)
    expect(notifyCommandProblem('notify-send "$DISPATCH_TITLE"')).to.equal(undefined)
    expect(notifyCommandProblem('notify-send {title}')).to.match(/"\$DISPATCH_TITLE"/)
    expect(notifyCommandProblem("notify-send '{ref}'")).to.match(/"\$DISPATCH_REF"/)
  })
})
