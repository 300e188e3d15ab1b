import {Args} from '@oclif/core'

export const refArg = {
  ref: Args.string({description: 'Issue reference: owner/repo#N, an issue URL, or N (#N) inside a checkout.', required: true}),
}

/** headless and cascade: one ref, several (a fan-out), or none with --label. */
export const refsArg = {
  ref: Args.string({description: 'Issue reference: owner/repo#N, an issue URL, or N (#N) inside a checkout; several fan out, one worker each.', required: false}),
}
