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
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports' || message.ruleId === 'no-restricted-syntax').map((message) => message.message);
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
      ['core/host/cli/probe.ts', '../../scheduler/runner.ts', /core\/host\/cli calls the service \(core\/api\) for what the scheduler and the store do/],
      ['core/host/cli/probe.ts', '../../store/store.ts', /core\/host\/cli calls the service/],
    ];
    for (const [file, target, message] of cases) {
      const found = await problems(file, `import * as probe from '${target}';\nexport const value = probe;\n`);
      assert.equal(found.length, 1, `${file} → ${target}: ${found.join('; ')}`);
      assert.match(found[0]!, message);
    }
    // However the path is written or the import made.
    const sneaky: [string, string][] = [
      ['core/model/probe.ts', "import * as probe from './../store/store.ts';\nexport const value = probe;\n"],
      ['core/model/probe.ts', "import * as probe from '../../core/store/store.ts';\nexport const value = probe;\n"],
      ['core/model/probe.ts', "export const load = () => import('../store/store.ts');\n"],
      ['core/model/probe.ts', "export type State = import('../store/records.ts').RunState;\n"],
      ['renderer/src/monitor/probe.ts', "import * as probe from '../../../electron/main.ts';\nexport const value = probe;\n"],
      ['electron/probe.js', "export const load = () => import('../core/store/store.ts');\n"],
      ['core/host/cli/probe.ts', "export const load = () => import('../../store/database.ts');\n"],
    ];
    for (const [file, code] of sneaky) assert.equal((await problems(file, code)).length, 1, `${file}: ${code}`);
    // Down the layers is fine.
    for (const [file, target] of [['core/scheduler/probe.ts', '../store/store.ts'], ['core/host/probe.ts', '../api/service.ts'], ['renderer/src/probe.ts', '../../core/api/types.ts'], ['electron/probe.ts', '../core/host/app-core.ts'], ['core/host/cli/probe.ts', '../../api/service.ts'], ['core/host/probe.ts', '../store/store.ts']]) {
      assert.deepEqual(await problems(file!, `import * as probe from '${target}';\nexport const value = probe;\n`), [], `${file} → ${target}`);
    }
  });

  it('holds for the code as it is', async () => {
    const results = await eslint.lintFiles(['core', 'electron', 'renderer/src']);
    const upward = results.flatMap((result) => result.messages.filter((message) => message.ruleId === 'no-restricted-imports' || message.ruleId === 'no-restricted-syntax').map((message) => `${result.filePath}:${message.line}: ${message.message}`));
    assert.deepEqual(upward, []);
  });
});
