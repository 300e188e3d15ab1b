/** One listing per source per pass: the open issues carrying its label, oldest first. */
import type {DispatchContext} from '../context.js'
import {errorMessage} from '../errors.js'
import {labelledIssues} from '../forges/labelled.js'
import {rateLimitReset} from './forge.js'
import type {WatchSource} from './settings.js'

/** Past this many open labelled issues a source is cut (and said so): one pass must stay one pass. */
export const SOURCE_LIMIT = 1000

export interface ListedIssue {
  ref: string
  /** What a dispatch resolves: the issue's URL on the forge that listed it. */
  input: string
  title: string
  number: number
  source: WatchSource
}

export interface SourceListing {
  source: WatchSource
  /** undefined when the forge could not list it this pass. */
  issues?: ListedIssue[]
  error?: string
  /** The forge's rate limit lifts then. */
  resetAt?: Date
}

export const sourceKey = (owner: string, repo: string): string => `${owner}/${repo}`.toLowerCase()

export async function listSources(ctx: DispatchContext, sources: readonly WatchSource[]): Promise<SourceListing[]> {
  return Promise.all(
    sources.map(async (source): Promise<SourceListing> => {
      try {
        const listed = await labelledIssues(`${source.owner}/${source.repo}`, source.label, SOURCE_LIMIT, ctx.config, ctx.forges, ctx.warn)
        const issues = listed
          .map((i) => ({ref: i.ref, input: i.input, title: i.title, number: Number(i.ref.slice(i.ref.lastIndexOf('#') + 1)), source}))
          // Oldest first: the issue waiting longest goes first.
          .sort((a, b) => a.number - b.number)
        return {source, issues}
      } catch (error) {
        return {source, error: errorMessage(error), resetAt: rateLimitReset(error)}
      }
    }),
  )
}
