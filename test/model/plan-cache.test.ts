import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../core/model/load.ts';
import { loadPlan } from '../../core/model/plan-cache.ts';
import { tempDir, writeWorkflow } from '../helpers.ts';

const FLOW = `version: 1
name: cached
params: { list: [0, 1] }
tasks:
  prep: { run: echo prep }
  sweep:
    foreach: { i: "{{ params.list }}" }
    after: prep
    run: echo {{ i }}
  more: { include: more.yaml, after: sweep }
`;

function setup(t: Parameters<typeof tempDir>[0], flow = FLOW) {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'more.yaml'), 'version: 1\ntasks:\n  last: { run: echo last }\n');
  const file = writeWorkflow(dir, flow);
  const cache = { dir: path.join(dir, 'plans'), code: 'code 1' };
  const entry = () => path.join(cache.dir, readdirSync(cache.dir).find((name) => name.endsWith('.json'))!);
  /** Marks the kept plan, so a plan that comes from the cache can be told from a loaded one. */
  const mark = () => {
    const kept = JSON.parse(readFileSync(entry(), 'utf8')) as { plan: { name: string } };
    kept.plan.name = 'from the cache';
    writeFileSync(entry(), JSON.stringify(kept));
  };
  return { dir, file, cache, entry, mark };
}

describe('plans kept between runs', () => {
  it('the second load of an unchanged file takes the plan the first one kept, equal to a fresh load', (t) => {
    const { file, cache } = setup(t);
    const first = loadPlan(file, { runId: 'r1' }, cache);
    assert.equal(first.cached, false);
    assert.throws(() => readdirSync(cache.dir), /ENOENT/, 'nothing is kept before save');
    first.save();
    const second = loadPlan(file, { runId: 'r2' }, cache);
    assert.equal(second.cached, true);
    assert.deepEqual(second.plan, loadWorkflow(file, { runId: 'r2' }));
    assert.deepEqual(second.plan.tasks.map((task) => task.id), ['prep', 'sweep[0]', 'sweep[1]', 'more/last']);
  });

  it('loads again when the file, a file it includes, the params, the run root or the code changed', (t) => {
    const { dir, file, cache, mark } = setup(t);
    const keep = (options = {}, code = cache.code) => {
      const loaded = loadPlan(file, options, { ...cache, code });
      loaded.save();
      mark();
      return loaded;
    };
    const cachedName = (options = {}, code = cache.code) => loadPlan(file, options, { ...cache, code }).plan.name;
    keep();
    assert.equal(cachedName(), 'from the cache');

    writeFileSync(path.join(dir, 'more.yaml'), 'version: 1\ntasks:\n  last: { run: echo changed }\n');
    const included = loadPlan(file, {}, cache);
    assert.equal(included.cached, false);
    assert.equal(included.plan.tasks.at(-1)!.run, 'echo changed');

    keep();
    writeFileSync(file, FLOW.replace('echo prep', 'echo prepared'));
    const edited = loadPlan(file, {}, cache);
    assert.equal(edited.cached, false);
    assert.equal(edited.plan.tasks[0]!.run, 'echo prepared');

    keep();
    assert.equal(cachedName({ params: { list: [0, 1, 2] } }), 'cached');
    assert.equal(cachedName({ workdir: path.join(dir, 'elsewhere') }), 'cached');
    assert.equal(cachedName({}, 'code 2'), 'cached');
    assert.equal(cachedName(), 'from the cache');
  });

  it('does not keep a plan that used the run id: it belongs to its run', (t) => {
    const { file, cache } = setup(t, FLOW.replace('{ run: echo prep }', '{ run: "echo {{ run.id }}" }'));
    const first = loadPlan(file, { runId: 'r1' }, cache);
    first.save();
    assert.throws(() => readdirSync(cache.dir), /ENOENT/);
    assert.equal(loadPlan(file, { runId: 'r2' }, cache).plan.tasks[0]!.run, 'echo r2');
  });

  it('a damaged entry is ignored, and the next save replaces it', (t) => {
    const { file, cache, entry } = setup(t);
    loadPlan(file, {}, cache).save();
    writeFileSync(entry(), '{"key": "x", "files": [');
    const again = loadPlan(file, {}, cache);
    assert.equal(again.cached, false);
    again.save();
    assert.equal(loadPlan(file, {}, cache).cached, true);
  });

  it('a workflow with errors is reported as always, and nothing is kept', (t) => {
    const { file, cache } = setup(t, FLOW.replace('after: prep', 'after: nope'));
    assert.throws(() => loadPlan(file, {}, cache), /runs after 'nope', which does not exist/);
    assert.throws(() => readdirSync(cache.dir), /ENOENT/);
  });
});
