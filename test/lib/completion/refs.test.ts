import {expect} from 'chai'

import {RECENT_REF_WINDOW_MS, completionRefs} from '../../../src/lib/completion/refs.js'

const NOW = new Date('2026-03-10T12:00:00.000Z')
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString()
const DAY = 24 * 60 * 60 * 1000

describe('completionRefs', () => {
  const cases: Array<{title: string; records: Array<{ref: string; started_at: string; pid: number}>; active?: number[]; want: string[]}> = [
    {title: 'nothing recorded', records: [], want: []},
    {
      title: 'recent ones newest first',
      records: [
        {ref: 'acme/a#1', started_at: ago(3 * DAY), pid: 1},
        {ref: 'acme/b#2', started_at: ago(60_000), pid: 2},
      ],
      want: ['acme/b#2', 'acme/a#1'],
    },
    {
      title: 'one issue once, newest spelling, owner/repo compared case-insensitively',
      records: [
        {ref: 'Acme/A#1', started_at: ago(DAY), pid: 1},
        {ref: 'acme/a#1', started_at: ago(60_000), pid: 2},
        {ref: 'acme/a#10', started_at: ago(2 * DAY), pid: 3},
      ],
      want: ['acme/a#1', 'acme/a#10'],
    },
    {
      title: 'older than the window: only while active',
      records: [
        {ref: 'acme/old#1', started_at: ago(RECENT_REF_WINDOW_MS + 60_000), pid: 1},
        {ref: 'acme/live#2', started_at: ago(30 * DAY), pid: 2},
        {ref: 'acme/edge#3', started_at: ago(RECENT_REF_WINDOW_MS), pid: 3},
      ],
      active: [2],
      want: ['acme/edge#3', 'acme/live#2'],
    },
    {
      title: 'anything but a canonical owner/repo#N is left out (shells insert these words)',
      records: [
        {ref: 'acme/x#$(touch pwned)', started_at: ago(1), pid: 1},
        {ref: 'acme/x y#1', started_at: ago(2), pid: 2},
        {ref: 'https://github.com/acme/x/issues/1', started_at: ago(3), pid: 3},
        {ref: 'acme/x#01', started_at: ago(4), pid: 4},
        {ref: 'acme/ok#5', started_at: ago(5), pid: 5},
      ],
      want: ['acme/ok#5'],
    },
    {
      title: 'same start: higher pid first',
      records: [
        {ref: 'acme/a#1', started_at: ago(DAY), pid: 10},
        {ref: 'acme/b#1', started_at: ago(DAY), pid: 20},
      ],
      want: ['acme/b#1', 'acme/a#1'],
    },
  ]
  for (const c of cases) {
    it(c.title, () => {
      expect(completionRefs(c.records, NOW, RECENT_REF_WINDOW_MS, (r) => (c.active ?? []).includes(r.pid))).to.deep.equal(c.want)
    })
  }
})
