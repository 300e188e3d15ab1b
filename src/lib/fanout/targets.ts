import type {DispatchContext} from '../context.js'
import {labelledIssues} from '../forges/labelled.js'
import {expandBareRefs} from '../local-ref.js'
import type {Mode} from '../registry/index.js'
import {cascadeBudget} from '../policy.js'
import {silentProgress, type Progress} from '../progress.js'
import type {FanoutTarget} from './index.js'
import {checkRefList, type DispatchRequest} from './request.js'

/**
 * The issues a fan-out dispatches: the refs given (every one parsed first),
 * or the forge's open issues with the label. An exhausted cascade budget (a
 * headless worker fanning out) is refused before any request, as a single
 * dispatch refuses it.
 */
export async function fanoutTargets(
  ctx: DispatchContext,
  request: Exclude<DispatchRequest, {kind: 'single'}>,
  how: {mode: Mode; depth?: number; passThroughHint: string},
  progress: Progress = silentProgress,
): Promise<FanoutTarget[]> {
  cascadeBudget(how.mode, how.depth, ctx.env.DISPATCH_CASCADE_DEPTH)
  if (request.kind === 'refs') {
    const hosts = {githubWebUrl: ctx.config.github.webUrl, forgejoBaseUrl: ctx.config.forgejo?.baseUrl}
    const refs = await expandBareRefs(request.refs, ctx.cwd, hosts)
    checkRefList(refs, hosts, how.passThroughHint)
    return request.refs.map((r, i) => ({input: r, ref: refs[i].trim()}))
  }
  progress.start(`Listing open issues labelled ${request.label} in ${request.repo}`)
  try {
    const listed = await labelledIssues(request.repo, request.label, request.limit, ctx.config, ctx.forges, ctx.warn)
    if (listed.length === 0) ctx.warn(`warning: no open issues labelled "${request.label}" in ${request.repo}; nothing to dispatch.`)
    return listed.map(({input, ref}) => ({input, ref}))
  } finally {
    progress.stop()
  }
}
