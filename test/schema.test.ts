import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { load } from 'js-yaml';
import { DEFAULTS_KEYS, FILE_KEYS, NODE_KEYS, TARGET_KEYS } from '../core/model/keys.ts';
import { RESOURCE_KEYS } from '../core/model/resources.ts';
import { REPO } from './helpers.ts';

const schema = JSON.parse(readFileSync(path.join(REPO, 'resources/workflow.schema.json'), 'utf8')) as {
  properties: Record<string, unknown>;
  $defs: Record<string, { properties: Record<string, { description?: string }> }>;
};

function workflowFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else if (entry.name.endsWith('.yaml')) found.push(path.join(dir, entry.name));
    }
  };
  walk(path.join(REPO, 'examples'));
  return found;
}

describe('workflow JSON Schema', () => {
  it('describes exactly the keys the loader knows', () => {
    assert.deepEqual(Object.keys(schema.properties).sort(), [...FILE_KEYS].sort());
    assert.deepEqual(Object.keys(schema.$defs.node!.properties).sort(), [...NODE_KEYS].sort());
    assert.deepEqual(Object.keys(schema.$defs.defaults!.properties).sort(), [...DEFAULTS_KEYS].sort());
    assert.deepEqual(Object.keys(schema.$defs.target!.properties).sort(), [...TARGET_KEYS].sort());
    assert.deepEqual(Object.keys(schema.$defs.resources!.properties).sort(), [...RESOURCE_KEYS].sort());
    for (const definition of ['node', 'defaults', 'target', 'resources']) {
      for (const [key, property] of Object.entries(schema.$defs[definition]!.properties)) {
        assert.ok(property.description, `${definition}.${key} has a description`);
      }
    }
  });

  it('accepts every example and rejects an unknown key', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    for (const file of workflowFiles()) {
      assert.ok(validate(load(readFileSync(file, 'utf8'))), `${file}: ${ajv.errorsText(validate.errors)}`);
    }
    assert.equal(validate({ version: 1, tasks: { a: { run: 'x', retires: 1 } } }), false);
    assert.equal(validate({ version: 1, tasks: { a: { run: 'x', resources: { time: 5, memroy: '1G' } } } }), false);
  });
});
