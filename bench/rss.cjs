// Preloaded with --require by the benchmark: records this process's peak RSS (KiB) on exit.
const {appendFileSync} = require('node:fs')
process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) appendFileSync(process.env.BENCH_RSS_FILE, `${process.resourceUsage().maxRSS}\n`)
})
