import {expect} from 'chai'

import {loadConfig} from '../../../src/lib/config/index.js'

describe('.dispatchrc.example', () => {
  it('is a valid config that uses every key the schema knows, without warnings', async () => {
    const warnings: string[] = []
    const file = new URL('../../../.dispatchrc.example', import.meta.url).pathname
    const config = await loadConfig({configPath: file, cwd: '/', env: {HOME: '/home/op'}, warn: (m) => warnings.push(m)})
    expect(warnings).to.deep.equal([])
    expect(config.allowedOwners).to.deep.equal(['my-org', 'my-user'])
    expect(config.repos['my-org/api']).to.equal('/home/op/work/api')
    expect(config.forgejo?.apiUrl).to.equal('https://forgejo.example.com/api/v1')
    expect(config.interactive.command).to.include('{argv}')
  })
})
