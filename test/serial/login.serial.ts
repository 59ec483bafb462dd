/**
 * Logging in with a password and a one-time code during a run. One-time codes are used up as
 * they are accepted, so tests that send them run alone, after the others (see `npm test`).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Prompter } from '../../core/ssh/ports.ts';
import { nextOtp } from '../cluster.ts';
import { facts, remoteHarness } from '../targets/remote/harness.ts';

const CLUSTER = `targets:
  hpc: { type: slurm, host: cluster, root: ROOT, poll: 1 }
defaults: { target: hpc, retries: 0 }
`;

describe('two-step login during a run', () => {
  it('a two-step login (password, then a one-time code) is asked once for the whole run; a wrong code is not retried', async (t) => {
    const rounds: string[][] = [];
    const answering = (code: () => string): Prompter => ({
      keyboardInteractive: async (request) => {
        rounds.push(request.prompts.map((prompt) => prompt.prompt));
        return request.prompts.map((prompt) => (/^password/i.test(prompt.prompt) ? facts.otpUser.password : code()));
      },
      passphrase: async () => undefined,
    });
    const h = remoteHarness(t, { prompter: answering(() => nextOtp(facts)) });
    writeFileSync(path.join(h.dir, 'in.txt'), 'x\n');
    const run = h.start(`version: 1
${CLUSTER}tasks:
  one: { inputs: [in.txt], outputs: [who.txt], run: id -un > who.txt }
  two: { run: sleep 2, after: one }
`);
    assert.equal(await run.done, 'succeeded', JSON.stringify(h.store.attempts(run.runId)));
    assert.equal(readFileSync(path.join(h.dir, 'who.txt'), 'utf8'), `${facts.otpUser.name}\n`);
    const asked = rounds.flat();
    assert.equal(asked.filter((prompt) => /^password/i.test(prompt)).length, 1, `one password prompt: ${JSON.stringify(rounds)}`);
    assert.equal(asked.length, 2, `then one code prompt, nothing more: ${JSON.stringify(rounds)}`);

    rounds.length = 0;
    const wrong = remoteHarness(t, { prompter: answering(() => '000000') });
    const refused = wrong.start(`version: 1
${CLUSTER.replace('retries: 0', 'retries: 2')}tasks:
  never: { run: touch ran.txt }
`);
    assert.equal(await refused.done, 'failed');
    assert.equal(rounds.flat().filter((prompt) => !/^password/i.test(prompt)).length, 1, `the code was asked once, never sent again: ${JSON.stringify(rounds)}`);
    assert.match(wrong.store.taskStates(refused.runId)[0]!.reason ?? '', /cannot reach/);
  });
});
