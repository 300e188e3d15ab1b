/**
 * The worker's prompt (SPEC §7): types.ts says what goes in, sanitize.ts makes
 * tracker text safe to quote, sections.ts renders the parts, template.ts loads
 * a template and fills it.
 */
export {capBytes, fenceFor, promptUrl, stripInvisible} from './sanitize.js'
export {BODY_LIMIT, GIT_RULES, TITLE_LIMIT, issueBlock, landingRules, readIssueInstruction} from './sections.js'
export {checkTemplate, fillTemplate, loadTemplate, promptVars, renderPrompt, renderTemplate} from './template.js'
export type {PromptInput} from './types.js'
