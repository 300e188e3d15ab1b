// Preloaded with NODE_OPTIONS=--import=<this file>: on exit, writes the
// process's peak resident set size in kilobytes to $MAX_RSS_FILE, so a test
// can check that the binary's memory stayed bounded.
import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  if (process.env.MAX_RSS_FILE) writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS))
})
