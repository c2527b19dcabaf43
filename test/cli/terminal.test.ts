/**
 * Job output on the operator's terminal (SPEC §18): `jobtree tail`, `tail
 * -f` and `--follow` show control characters instead of sending them (an
 * escape sequence in a log cannot retitle, clear or rewrite the screen),
 * titles included; `--raw` prints the log as it is.
 */
import { expect } from 'chai';
import { visibleControls } from '../../src/cli/visible.js';
import { makeAgent, runCli } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';

const ESC = '\u001b';

describe('cli: control characters in job output (§18)', function () {
  this.timeout(30000);

  it('shows every control character but newline and tab, and the bidi overrides', () => {
    expect(visibleControls(`a${ESC}]0;pwned\u0007b${ESC}[2J\tc\n`)).to.equal(
      'a^[]0;pwned^Gb^[[2J\tc\n',
    );
    expect(visibleControls('\u0000\u007f\u009b\r\u202e')).to.equal('^@^?M-^[^M<U+202E>');
    expect(visibleControls('déjà vu ✓ 😀')).to.equal('déjà vu ✓ 😀');
  });

  it('makes them visible in tail, tail -f and --follow, unless --raw', async () => {
    const agent = await makeAgent(makeStore());
    const made = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      job: {
        title: `evil${ESC}[31m title`,
        type: 'shell',
        params: { command: `printf 'a\\033]0;pwned\\007b\\033[2Jc\\n'` },
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const env = { JOBTREE_SERVER: agent.url };
    for (const args of [
      ['tail', made.body.root],
      ['tail', '-f', made.body.root],
      ['show', made.body.root, '--follow'],
    ]) {
      const out = await runCli(args, { env });
      expect(out.code, args.join(' ')).to.equal(0);
      expect(out.stdout, args.join(' ')).to.not.include(ESC);
      expect(out.stdout, args.join(' ')).to.not.include('\u0007');
    }
    const shown = await runCli(['tail', made.body.root], { env });
    expect(shown.stdout).to.include('a^[]0;pwned^Gb^[[2Jc');
    const followed = await runCli(['show', made.body.root, '--follow'], { env });
    expect(followed.stdout).to.include('evil^[[31m title');
    const raw = await runCli(['--raw', 'tail', made.body.root], { env });
    expect(raw.stdout).to.include(`a${ESC}]0;pwned\u0007b${ESC}[2Jc`);
  });
});
