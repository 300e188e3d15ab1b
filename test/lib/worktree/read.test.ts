import {expect} from 'chai'

import {parseWorktreeList} from '../../../src/lib/worktree/read.js'

describe('worktree: read', () => {
  it('parses git worktree list --porcelain', () => {
    const text = 'worktree /r\nHEAD abc\nbranch refs/heads/main\n\nworktree /w\nHEAD def\ndetached\nprunable gitdir file points to non-existent location\n'
    expect(parseWorktreeList(text)).to.deep.equal([
      {path: '/r', branch: 'main', prunable: false},
      {path: '/w', branch: undefined, prunable: true},
    ])
  })
})
