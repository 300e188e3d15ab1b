import {expect} from 'chai'

import {autocompleteSetup} from '../../../src/lib/completion/setup.js'

describe('autocompleteSetup', () => {
  it('names the rc line, the script it loads and the function file, per shell', () => {
    expect(autocompleteSetup('bash', 'dispatch', '/c/dispatch')).to.deep.equal({
      shell: 'bash',
      setup: 'DISPATCH_AC_BASH_SETUP_PATH=/c/dispatch/autocomplete/bash_setup && test -f $DISPATCH_AC_BASH_SETUP_PATH && source $DISPATCH_AC_BASH_SETUP_PATH; # dispatch autocomplete setup',
      rc_file: '~/.bashrc',
      script_path: '/c/dispatch/autocomplete/bash_setup',
      function_path: '/c/dispatch/autocomplete/functions/bash/dispatch.bash',
      completes_refs: true,
    })
    expect(autocompleteSetup('zsh', 'dispatch', '/c/dispatch')).to.include({rc_file: '~/.zshrc', function_path: '/c/dispatch/autocomplete/functions/zsh/_dispatch', completes_refs: true})
    expect(autocompleteSetup('powershell', 'dispatch', '/c/dispatch')).to.deep.include({setup: '. /c/dispatch/autocomplete/functions/powershell/dispatch.ps1', rc_file: '$PROFILE', completes_refs: false})
  })
})
