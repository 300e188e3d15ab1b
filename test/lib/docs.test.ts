import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ROOT} from '../support/helpers.js'

/** The Markdown people read: the README, SECURITY.md and every page under docs/. */
const DOCS = ['README.md', 'SECURITY.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

/** The lines outside fenced code blocks: a `# comment` in a shell block is no heading, a `[x](y)` in one no link. */
export function prose(markdown: string): string[] {
  const out: string[] = []
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line)
    if (m && (!fence || m[1].startsWith(fence))) {
      fence = fence ? undefined : m[1]
      continue
    }
    if (!fence) out.push(line)
  }
  return out
}

/** GitHub's anchor for a heading: the text as rendered, lower-cased, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const line of prose(markdown)) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!h) continue
    const text = h[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '')
    const slug = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    out.add(n === 0 ? slug : `${slug}-${n}`)
  }
  return out
}

/** Inline links `[text](target)`, text with one level of brackets (`[`dispatch attach [REF]`](#…)`), outside code blocks. */
export function links(markdown: string): string[] {
  const out: string[] = []
  for (const line of prose(markdown)) {
    for (const m of line.matchAll(/\[(?:[^[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1])
  }
  return out
}

describe('the documentation', () => {
  it('finds headings and links the way GitHub renders them', () => {
    const md = '# Tour\n## `dispatch cascade REF [flags] [-- CLAUDE_ARGS...]`\n## Tour\n```sh\n# not a heading [x](nowhere.md)\n```\n[a](#tour-1) [`b [REF]`](other.md#x) `code`'
    expect([...anchors(md)]).to.deep.equal(['tour', 'dispatch-cascade-ref-flags----claude_args', 'tour-1'])
    expect(links(md)).to.deep.equal(['#tour-1', 'other.md#x'])
  })

  for (const file of DOCS) {
    it(`every relative link and #anchor in ${file} resolves`, () => {
      const text = readFileSync(path.join(ROOT, file), 'utf8')
      const broken: string[] = []
      for (const link of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue // https:, mailto:: not ours to check offline
        const [target, anchor] = link.split('#', 2) as [string, string | undefined]
        const resolved = target === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(target))
        if (!resolved.startsWith(ROOT + path.sep) || !existsSync(resolved)) {
          broken.push(`${link}: no such file`)
          continue
        }
        if (anchor === undefined || anchor === '') continue
        if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
          broken.push(`${link}: an anchor into something that is not a Markdown file`)
          continue
        }
        if (!anchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${link}: no heading with anchor #${anchor}`)
      }
      expect(broken, file).to.deep.equal([])
    })
  }

  it('the README is a five-minute read, and keeps the two commands first', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    expect(readme.split('\n').length).to.be.below(300)
    expect(/```sh\n([\s\S]*?)```/.exec(readme)?.[1]).to.equal('npm ci && npm run demo\nnpm ci && npm test\n')
  })

  it('docs/commands.md is what `npm run readme` generates from the built commands', function () {
    this.timeout(120_000)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-docs-'))
    try {
      const copy = path.join(dir, 'commands.md')
      copyFileSync(path.join(ROOT, 'docs', 'commands.md'), copy)
      // The same command as package.json's "readme" script, into a copy (the build's oclif.manifest.json is what it reads).
      const script = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.readme as string
      expect(script).to.equal('oclif readme --no-aliases --readme-path docs/commands.md')
      execFileSync(path.join(ROOT, 'node_modules', '.bin', 'oclif'), ['readme', '--no-aliases', '--readme-path', copy], {cwd: ROOT, stdio: 'pipe', env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}})
      expect(readFileSync(copy, 'utf8'), 'docs/commands.md is stale: run `npm run build && npm run readme` and commit it').to.equal(readFileSync(path.join(ROOT, 'docs', 'commands.md'), 'utf8'))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
