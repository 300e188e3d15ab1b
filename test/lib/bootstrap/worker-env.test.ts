import {expect} from 'chai'

import {workerEnv} from '../../../src/lib/dispatch/worker-env.js'

describe('bootstrap: the worker index and port in the worker environment (pure)', () => {
  const config = {landing: 'pr' as const, forgejo: undefined, file: '/c.yaml'}
  it('sets DISPATCH_WORKER_INDEX and DISPATCH_PORT from the slot, over what a parent worker had', () => {
    const env = workerEnv({DISPATCH_WORKER_INDEX: '0', DISPATCH_PORT: '3100', PATH: '/bin'}, config, {mode: 'headless', cascadeDepth: 0, slot: {index: 2, port: 3120, stride: 10}})
    expect(env).to.include({DISPATCH_WORKER_INDEX: '2', DISPATCH_PORT: '3120', PATH: '/bin'})
  })
  it('a worker without a slot does not inherit its parent one', () => {
    const env = workerEnv({DISPATCH_WORKER_INDEX: '0', DISPATCH_PORT: '3100'}, config, {mode: 'headless', cascadeDepth: 0})
    expect(env).not.to.have.any.keys('DISPATCH_WORKER_INDEX', 'DISPATCH_PORT')
  })
})
