/**
 * Claude Code's `--output-format stream-json --verbose` events: events.ts
 * parses them, health.ts says what they mean for a starting worker,
 * summary.ts reads the final result, render.ts shows them to a person. Pure
 * functions only.
 */
export {parseLine} from './events.js'
export {healthSignal, type RetryWarning} from './health.js'
export {renderLine, renderTail} from './render.js'
export {summarise} from './summary.js'
