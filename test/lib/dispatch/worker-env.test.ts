import {expect} from 'chai'

import {workerEnv} from '../../../src/lib/dispatch/worker-env.js'
import {config} from '../../support/dispatch-facts.js'

describe('workerEnv (pure)', () => {
  it('drops the parent session, sets the cascade budget and the config, and strips tokens when landing is none', () => {
    const env = {CLAUDECODE: '1', CLAUDE_CODE_SESSION_ID: 's', GH_TOKEN: 'g', CODEBERG_PAT: 'c', PATH: '/bin'}
    const out = workerEnv(env, {...config, landing: 'none'}, {mode: 'cascade', cascadeDepth: 2})
    expect(out).to.deep.equal({PATH: '/bin', DISPATCH_CASCADE_DEPTH: '2', DISPATCH_CONFIG: config.file})
    expect(workerEnv(env, config, {mode: 'interactive', cascadeDepth: 0})).to.include({GH_TOKEN: 'g'}).and.not.have.property('DISPATCH_CASCADE_DEPTH')
  })
})
