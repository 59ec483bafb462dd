/**
 * The layering that eslint.config.js holds: each import that goes up a layer (or out of what
 * electron/ and renderer/ may see) is an error naming the layers allowed, and the code as it
 * is has none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { REPO } from './helpers.ts';

const eslint = new ESLint({ cwd: REPO });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('layering', () => {
  it('refuses an import up the core’s layers, and out of what electron/ and renderer/ may import', async () => {
    const cases: [string, string, RegExp][] = [
      ['core/model/probe.ts', '../store/store.ts', /core\/model may import only from core\/util, core\/model \(the layers util < model < store, ssh < targets, terminals < scheduler < api < host\)/],
      ['core/store/probe.ts', '../scheduler/states.ts', /core\/store, core\/ssh may import only from core\/util, core\/model, core\/store, core\/ssh /],
      ['core/targets/remote/probe.ts', '../../api/service.ts', /core\/targets, core\/terminals may import only from /],
      ['core/api/probe.ts', '../host/web.ts', /core\/api may import only from .*core\/scheduler, core\/api /],
      ['electron/probe.ts', '../core/store/store.ts', /electron\/ imports only core\/api \(the contract\) and core\/host/],
      ['renderer/src/probe.ts', '../../core/scheduler/states.ts', /renderer\/ imports only core\/api .* and core\/model/],
    ];
    for (const [file, target, message] of cases) {
      const found = await problems(file, `import * as probe from '${target}';\nexport const value = probe;\n`);
      assert.equal(found.length, 1, `${file} → ${target}: ${found.join('; ')}`);
      assert.match(found[0]!, message);
    }
    // Down the layers is fine.
    for (const [file, target] of [['core/scheduler/probe.ts', '../store/store.ts'], ['core/host/probe.ts', '../api/service.ts'], ['renderer/src/probe.ts', '../../core/api/types.ts'], ['electron/probe.ts', '../core/host/app-core.ts']]) {
      assert.deepEqual(await problems(file!, `import * as probe from '${target}';\nexport const value = probe;\n`), [], `${file} → ${target}`);
    }
  });

  it('holds for the code as it is', async () => {
    const results = await eslint.lintFiles(['core', 'electron', 'renderer/src']);
    const upward = results.flatMap((result) => result.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => `${result.filePath}:${message.line}: ${message.message}`));
    assert.deepEqual(upward, []);
  });
});
