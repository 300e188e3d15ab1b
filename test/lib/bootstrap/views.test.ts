import {expect} from 'chai'

import {renderStarted} from '../../../src/lib/views/dispatch.js'

describe('bootstrap: the started worker names its port (pure)', () => {
  const record = {ref: 'acme/api#12', title: 'Fix it', pid: 99, cwd: '/wt/api-12', branch: 'b', log_path: '/s/99.log'}
  const how = {mode: 'headless', health: 'replied', retrying: false, healthWindowMs: 800}
  it('shows the port and index when the record has them', () => {
    expect(renderStarted({...record, port: 3110, worker_index: 1}, how).stdout).to.include('branch  b\nport    3110 (DISPATCH_PORT; worker index 1)\nlog     /s/99.log\n')
  })
  it('says nothing of ports for a record without one', () => expect(renderStarted(record, how).stdout).not.to.include('port'))
})
