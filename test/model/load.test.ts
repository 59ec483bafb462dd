import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WorkflowError } from '../../core/model/errors.ts';
import { loadWorkflow } from '../../core/model/load.ts';
import { hasDuplicateKey } from '../../core/model/source.ts';
import { tempDir, writeWorkflow } from '../helpers.ts';

function errorsOf(file: string): string[] {
  try {
    loadWorkflow(file);
  } catch (error) {
    if (error instanceof WorkflowError) return error.message.split('\n');
    throw error;
  }
  assert.fail('expected the workflow to be invalid');
}

/** Each case: a file whose only problem is on a known line and column, and the message. */
const BAD: { name: string; text: string; expect: string; file?: string }[] = [
  {
    name: 'YAML syntax error',
    text: 'version: 1\ntasks:\n  a: { run: "echo a"\n  b: { run: echo b }\n',
    expect: ':4:3: syntax error',
  },
  {
    name: 'unknown key with a suggestion',
    text: 'version: 1\ntasks:\n  a:\n    run: echo a\n    retires: 2\n',
    expect: ":5:5: unknown key 'retires' in task 'a' (did you mean 'retries'?)",
  },
  {
    name: 'unknown top-level key',
    text: 'version: 1\ntask:\n  a: { run: echo a }\ntasks:\n  b: { run: echo b }\n',
    expect: ":2:1: unknown key 'task' in the workflow file (did you mean 'tasks'?)",
  },
  {
    name: 'duplicate task id',
    text: 'version: 1\ntasks:\n  a: { run: echo 1 }\n  b: { run: echo 2 }\n  a: { run: echo 3 }\n',
    expect: ":5:3: syntax error: duplicate key 'a'",
  },
  {
    name: 'unknown dependency',
    text: 'version: 1\ntasks:\n  setup: { run: echo s }\n  a:\n    run: echo a\n    after: [setup, stup]\n',
    expect: ":6:20: 'a' runs after 'stup', which does not exist (did you mean 'setup'?)",
  },
  {
    name: 'cycle, with its path',
    text: 'version: 1\ntasks:\n  a: { run: echo a, after: c }\n  b: { run: echo b, after: a }\n  c: { run: echo c, after: b }\n',
    expect: ':3:28: dependency cycle: a → b → c → a',
  },
  {
    name: 'undefined template variable, pointing at the expression',
    text: 'version: 1\ntasks:\n  g:\n    foreach: { w: [1, 2] }\n    tasks:\n      a: { run: "echo {{ wx }} > out" }\n',
    expect: ":6:23: undefined template variable 'wx' (did you mean 'w'?)",
  },
  {
    name: 'bad resource value',
    text: 'version: 1\ntasks:\n  a:\n    run: echo a\n    resources:\n      time: 2 days\n',
    expect: ':6:13: bad resource value time: "2 days"',
  },
  {
    name: 'bad memory',
    text: 'version: 1\ntasks:\n  a:\n    run: echo a\n    resources: { memory: lots }\n',
    expect: ':5:26: bad resource value memory: "lots"',
  },
  {
    name: 'unknown target',
    text: 'version: 1\ntargets:\n  cluster: { type: local }\ntasks:\n  a: { run: echo a, target: clustr }\n',
    expect: ":5:29: unknown target 'clustr' (did you mean 'cluster'?)",
  },
  {
    name: 'unsupported target type',
    text: 'version: 1\ntargets:\n  hpc: { type: pbs }\ntasks:\n  a: { run: echo a }\n',
    expect: ":3:16: target 'hpc' has type \"pbs\"; supported types: local, ssh, slurm",
  },
  {
    name: 'remote target without a host',
    text: 'version: 1\ntargets:\n  hpc: { type: slurm }\ntasks:\n  a: { run: echo a }\n',
    expect: ":3:8: slurm target 'hpc' needs 'host'",
  },
  {
    name: 'a host that is not an SSH destination',
    text: 'version: 1\ntargets:\n  hpc: { type: ssh, host: "me@box; rm -rf ~" }\ntasks:\n  a: { run: echo a }\n',
    expect: ":3:27: host of target 'hpc' must be an SSH destination",
  },
  {
    name: 'a bad poll interval',
    text: 'version: 1\ntargets:\n  hpc: { type: slurm, host: hpc, poll: often }\ntasks:\n  a: { run: echo a }\n',
    expect: ":3:40: poll of target 'hpc' must be a duration",
  },
  {
    name: 'array_limit on a plain host',
    text: 'version: 1\ntargets:\n  box: { type: ssh, host: box, array_limit: 4 }\ntasks:\n  a: { run: echo a }\n',
    expect: ":3:45: 'array_limit' is for slurm targets",
  },
  {
    name: 'a remote key on the local target',
    text: 'version: 1\ntargets:\n  local: { max_parallel: 2, host: box }\ntasks:\n  a: { run: echo a }\n',
    expect: ":3:35: 'host' is for ssh and slurm targets",
  },
  {
    name: 'task without run or tasks',
    text: 'version: 1\ntasks:\n  a: { cwd: x }\n',
    expect: ":3:3: 'a' needs 'run'",
  },
  {
    name: 'task without run, at its own key line',
    text: 'version: 1\ntasks:\n  b: { run: echo b }\n  a:\n    cwd: x\n    env: { A: b }\n',
    expect: ":4:3: 'a' needs 'run'",
  },
  {
    name: 'tasks written as a list',
    text: 'version: 1\ntasks:\n  - run: echo a\n  - run: echo b\n',
    expect: ":2:1: 'tasks' must map task ids to tasks, like 'tasks: { prep: { run: ./prep.sh } }'; this is a list: give each entry an id as its key",
  },
  {
    name: 'a JSON file with a trailing comma',
    file: 'workflow.json',
    text: '{\n  "version": 1,\n  "tasks": { "a": { "run": "echo a" }, }\n}\n',
    expect: ':3:40: JSON syntax error: Expected double-quoted property name',
  },
  {
    name: 'an include of a device',
    text: 'version: 1\ntasks:\n  b:\n    include: /dev/zero\n',
    expect: ":4:14: cannot include '/dev/zero': cannot read workflow file: /dev/zero is not a regular file (a device)",
  },
  {
    name: 'a YAML alias that contains itself',
    text: 'version: 1\nx: &x [*x]\ntasks:\n  a: { run: echo a }\n',
    expect: ':2:8: a YAML alias refers to a node that contains it: the document would be infinite',
  },
  {
    name: 'a YAML alias bomb',
    text: `version: 1\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`).join('\n')}\ntasks:\n  a: { run: echo a }\n`,
    expect: ':1:1: the document stands for more than 5,000,000 values once its YAML aliases are followed',
  },
  {
    name: 'a range of ten million',
    text: 'version: 1\ntasks:\n  s:\n    foreach: { i: { range: [0, 10000000] } }\n    run: echo {{ i }}\n',
    expect: ':4:28: range [0,10000000] gives 10,000,000 values; a workflow has at most 250,000 tasks',
  },
  {
    name: 'nested sweeps past the limit',
    text: 'version: 1\ntasks:\n  g:\n    foreach: { i: { range: [1000] } }\n    tasks:\n      s: { foreach: { j: { range: [1000] } }, run: echo }\n',
    expect: ":6:10: 'g/s' would make task 250,001 and more: a workflow has at most 250,000 tasks",
  },
  {
    name: 'foreach whose product is past the limit',
    text: 'version: 1\ntasks:\n  s:\n    foreach: { a: { range: [1000] }, b: { range: [1000] } }\n    run: echo\n',
    expect: ':4:14: foreach gives 1,000,000 instances (a: 1,000 × b: 1,000); a workflow has at most 250,000 tasks',
  },
  {
    name: 'depending on its own group',
    text: 'version: 1\ntasks:\n  g:\n    tasks:\n      a: { run: echo a, after: [g] }\n',
    expect: ":5:33: 'g/a' cannot run after 'g': it is inside 'g'",
  },
  {
    name: 'a path into a group that names no task of it',
    text: 'version: 1\ntasks:\n  g:\n    tasks:\n      a: { run: echo a }\n  b: { run: echo b, after: [g/a, g/nope] }\n',
    expect: ":6:34: 'b' runs after 'g/nope': no task 'nope' inside 'g'",
  },
  {
    name: 'zip lists of different lengths',
    text: 'version: 1\ntasks:\n  a:\n    zip: { x: [1, 2], y: [1] }\n    run: echo {{ x }}\n',
    expect: ':4:10: zip lists must have the same length (x: 2, y: 1)',
  },
  {
    name: 'bad retries',
    text: 'version: 1\ntasks:\n  a: { run: echo a, retries: -1 }\n',
    expect: ":3:30: 'retries' must be a whole number from 0 to 100",
  },
  {
    name: 'an empty group',
    text: 'version: 1\ntasks:\n  g:\n    tasks: {}\n',
    expect: ":4:12: group 'g' has no tasks",
  },
  {
    name: 'an output that goes up out of the task folder',
    text: 'version: 1\ntasks:\n  a: { run: echo a, outputs: [ok.txt, ../../../escaped.txt] }\n',
    expect: ":3:39: output '../../../escaped.txt' goes up with '..': outputs are paths below the task's folder",
  },
  {
    name: 'an absolute output',
    text: 'version: 1\ntasks:\n  a:\n    run: echo a\n    outputs: /etc/passwd\n',
    expect: ":5:14: output '/etc/passwd' is an absolute path",
  },
  {
    name: 'missing version',
    text: 'tasks:\n  a: { run: echo a }\n',
    expect: ":1:1: missing 'version: 1'",
  },
];

describe('workflow validation', () => {
  for (const bad of BAD) {
    it(`reports ${bad.name} at its line and column`, (t) => {
      const file = writeWorkflow(tempDir(t), bad.text, bad.file);
      const errors = errorsOf(file);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.ok(errors[0]!.startsWith(file + bad.expect), `got: ${errors[0]}\nwanted: ${file}${bad.expect}…`);
    });
  }

  it('reports every problem of a file at once, in line order', (t) => {
    const file = writeWorkflow(tempDir(t), 'version: 1\ntasks:\n  a: { run: echo a, after: [b] }\n  b: { run: echo b, tagret: x }\n  c: { run: "{{ nope }}" }\n');
    const errors = errorsOf(file);
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /:4:21: unknown key 'tagret'.*did you mean 'target'/);
    assert.match(errors[1]!, /:5:14: undefined template variable 'nope'/);
  });

  it('a missing file is reported by name', () => {
    assert.throws(() => loadWorkflow('/nonexistent/flow.yaml'), /\/nonexistent\/flow.yaml: cannot read workflow file: no such file/);
  });

  it('reports problems inside an included file with that file’s position', (t) => {
    const dir = tempDir(t);
    writeWorkflow(dir, 'version: 1\ntasks:\n  x: { run: echo x, retries: many }\n', 'part.yaml');
    const file = writeWorkflow(dir, 'version: 1\ntasks:\n  g: { include: part.yaml }\n');
    const errors = errorsOf(file);
    assert.equal(errors.length, 1);
    assert.ok(errors[0]!.startsWith(`${path.join(dir, 'part.yaml')}:3:30: 'retries' must be`), errors[0]);
  });

  it('a remote task\'s input that leads outside the folder through a link is refused at its position; a link inside, or a local task\'s, is fine', (t) => {
    const dir = tempDir(t);
    const outside = tempDir(t);
    writeFileSync(path.join(outside, 'secret'), 'secret');
    symlinkSync(path.join(outside, 'secret'), path.join(dir, 'secret.txt'));
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'a.txt'), 'a');
    symlinkSync(path.join(dir, 'data', 'a.txt'), path.join(dir, 'a-link.txt'));
    const targets = 'version: 1\ntargets:\n  hpc: { type: ssh, host: box }\ntasks:\n';
    const file = writeWorkflow(dir, `${targets}  a: { run: cat secret.txt, target: hpc, inputs: [a-link.txt, data, secret.txt] }\n`);
    assert.deepEqual(errorsOf(file), [`${file}:5:69: input 'secret.txt' leads outside the workflow's folder ${dir} (secret.txt → ${path.join(realpathSync(outside), 'secret')}): it would be uploaded to target 'hpc'; copy the file into the folder, or stage it another way`]);
    symlinkSync(path.join(outside, 'secret'), path.join(dir, 'data', 'inner'));
    const inFolder = writeWorkflow(dir, `${targets}  a: { run: ls, target: hpc, inputs: [data] }\n`);
    assert.match(errorsOf(inFolder)[0]!, /:5:39: input 'data' leads outside the workflow's folder .*data\/inner/);
    const local = writeWorkflow(dir, 'version: 1\ntasks:\n  a: { run: cat secret.txt, inputs: [secret.txt] }\n');
    assert.equal(loadWorkflow(local).tasks.length, 1);
  });

  it('refuses an include cycle', (t) => {
    const dir = tempDir(t);
    writeWorkflow(dir, 'version: 1\ntasks:\n  back: { include: main.yaml }\n', 'part.yaml');
    const file = writeWorkflow(dir, 'version: 1\ntasks:\n  g: { include: part.yaml }\n', 'main.yaml');
    assert.match(errorsOf(file).join('\n'), /include cycle: main.yaml → part.yaml → main.yaml/);
  });
});

describe('expansion', () => {
  it('children inherit cwd (joined), env (merged), target, resources and retries, and may override', (t) => {
    const file = writeWorkflow(
      tempDir(t),
      `version: 1
targets:
  fast: { type: local, max_parallel: 4 }
defaults: { retries: 2, env: { A: top, B: top }, resources: { cpus: 2 } }
tasks:
  outer:
    cwd: runs
    env: { B: outer }
    target: fast
    resources: { time: 10m }
    tasks:
      inner:
        cwd: deep
        env: { C: inner }
        retries: 0
        tasks:
          leaf: { run: echo leaf, resources: { cpus: 8, memory: 2G } }
      plain: { run: echo plain, target: local }
`,
    );
    const plan = loadWorkflow(file);
    const leaf = plan.tasks.find((task) => task.id === 'outer/inner/leaf')!;
    assert.equal(leaf.cwd, 'runs/deep');
    assert.deepEqual(leaf.env, { A: 'top', B: 'outer', C: 'inner' });
    assert.equal(leaf.target, 'fast');
    assert.equal(leaf.retries, 0);
    assert.deepEqual(leaf.resources, { cpus: 8, timeSeconds: 600, memoryMb: 2048 });
    const plain = plan.tasks.find((task) => task.id === 'outer/plain')!;
    assert.equal(plain.cwd, 'runs');
    assert.equal(plain.target, 'local');
    assert.equal(plain.retries, 2);
    assert.deepEqual(plain.resources, { cpus: 2, timeSeconds: 600 });
  });

  it('sweeps a group over params; after binds within an instance, and to all instances from outside', (t) => {
    const file = writeWorkflow(
      tempDir(t),
      `version: 1
params: { windows: [0, 1, 2] }
tasks:
  setup: { run: echo setup }
  windows:
    foreach: { w: "{{ params.windows }}" }
    cwd: "window-{{ w }}"
    after: [setup]
    tasks:
      equilibrate: { run: "echo eq {{ w }}" }
      production: { run: "echo md {{ w }} {{ task.id }}", after: [equilibrate] }
  analyze: { run: cat, after: [windows] }
`,
    );
    const plan = loadWorkflow(file);
    const byId = new Map(plan.tasks.map((task) => [task.id, task]));
    assert.equal(plan.tasks.length, 8);
    assert.deepEqual(byId.get('windows[1]/equilibrate')!.after, ['setup']);
    assert.deepEqual(byId.get('windows[1]/production')!.after, ['windows[1]/equilibrate']);
    assert.equal(byId.get('windows[2]/production')!.cwd, 'window-2');
    assert.equal(byId.get('windows[2]/production')!.run, 'echo md 2 windows[2]/production');
    assert.deepEqual(byId.get('windows[2]/production')!.vars, { w: 2 });
    // analyze waits for the exits of the group: the productions (which wait for the equilibrations).
    assert.deepEqual([...byId.get('analyze')!.after].sort(), ['windows[0]/production', 'windows[1]/production', 'windows[2]/production']);
    // Topological order: every task after its dependencies.
    const position = new Map(plan.tasks.map((task, i) => [task.id, i]));
    for (const task of plan.tasks) for (const dep of task.after) assert.ok(position.get(dep)! < position.get(task.id)!);
  });

  it('foreach takes the cartesian product; zip pairs element-wise; range counts', (t) => {
    const file = writeWorkflow(
      tempDir(t),
      `version: 1
tasks:
  grid: { foreach: { a: [1, 2], b: [x, y, z] }, run: "echo {{ a }}{{ b }}" }
  pairs: { zip: { t: [300, 310], p: [1, 2] }, run: "echo {{ t }}/{{ p }}" }
  counted: { foreach: { i: { range: [0, 10, 4] } }, run: "echo {{ i }}" }
  both:
    foreach: { s: [A, B] }
    zip: { t: [1, 2], u: [3, 4] }
    run: "echo {{ s }}{{ t }}{{ u }}"
`,
    );
    const runs = (prefix: string) => loadWorkflow(file).tasks.filter((task) => task.id.startsWith(`${prefix}[`)).map((task) => task.run);
    assert.deepEqual(runs('grid'), ['echo 1x', 'echo 1y', 'echo 1z', 'echo 2x', 'echo 2y', 'echo 2z']);
    assert.deepEqual(runs('pairs'), ['echo 300/1', 'echo 310/2']);
    assert.deepEqual(runs('counted'), ['echo 0', 'echo 4', 'echo 8']);
    assert.deepEqual(runs('both'), ['echo A13', 'echo A24', 'echo B13', 'echo B24']);
  });

  it('nested sweeps see outer variables; a swept task after a swept sibling binds per instance', (t) => {
    const file = writeWorkflow(
      tempDir(t),
      `version: 1
tasks:
  outer:
    foreach: { e: [a, b] }
    cwd: "{{ e }}"
    tasks:
      solve: { foreach: { s: [1, 2] }, run: "solve {{ e }} {{ s }}" }
      sum: { run: "sum {{ e }}", after: [solve] }
`,
    );
    const plan = loadWorkflow(file);
    const sum = plan.tasks.find((task) => task.id === 'outer[1]/sum')!;
    assert.deepEqual([...sum.after].sort(), ['outer[1]/solve[0]', 'outer[1]/solve[1]']);
    assert.equal(plan.tasks.find((task) => task.id === 'outer[1]/solve[1]')!.run, 'solve b 2');
  });

  it('include assembles another file as a group, with its params as defaults and paths relative to it', (t) => {
    const dir = tempDir(t);
    writeFileSync(path.join(dir, 'stage.yaml'), 'version: 1\nparams: { n: 2, label: inner }\ntasks:\n  one: { run: "echo {{ params.label }} {{ params.n }}" }\n  two: { run: echo two, after: one }\n');
    const file = writeWorkflow(dir, 'version: 1\nparams: { label: outer }\ntasks:\n  first: { run: echo first }\n  stage: { include: stage.yaml, after: first, cwd: st }\n');
    const plan = loadWorkflow(file);
    assert.deepEqual(plan.tasks.map((task) => task.id), ['first', 'stage/one', 'stage/two']);
    assert.equal(plan.tasks[1]!.run, 'echo outer 2');
    assert.equal(plan.tasks[1]!.cwd, 'st');
    assert.deepEqual(plan.tasks[1]!.after, ['first']);
    assert.deepEqual(plan.tasks[2]!.after, ['stage/one']);
  });

  it('JSON files load the same as YAML, and parameters can be overridden', (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'flow.json');
    writeFileSync(file, JSON.stringify({ version: 1, params: { n: 1 }, tasks: { a: { run: 'echo {{ params.n }}' }, b: 'echo shorthand' } }));
    const plan = loadWorkflow(file, { params: { n: 7 } });
    assert.equal(plan.name, 'flow');
    assert.deepEqual(plan.tasks.map((task) => task.run), ['echo 7', 'echo shorthand']);
  });

  it('keeps ids, params and paths with spaces, quotes, $() and unicode intact', (t) => {
    const file = writeWorkflow(
      tempDir(t),
      `version: 1
params: { label: "a 'b' \\"c\\" $(rm -rf x); ü" }
tasks:
  "täsk with spaces":
    cwd: "dir with $(x) ü"
    run: "printf '%s' \\"{{ params.label }}\\""
`,
    );
    const [task] = loadWorkflow(file).tasks;
    assert.equal(task!.id, 'täsk with spaces');
    assert.equal(task!.cwd, 'dir with $(x) ü');
    assert.equal(task!.run, `printf '%s' "a 'b' "c" $(rm -rf x); ü"`);
  });
});

describe('JSON workflow files', () => {
  it('a repeated key in JSON is reported with its position, like in YAML', (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'flow.json');
    writeFileSync(file, '{\n  "version": 1,\n  "tasks": {\n    "a": { "run": "echo 1" },\n    "a": { "run": "echo 2" }\n  }\n}\n');
    const errors = errorsOf(file);
    assert.equal(errors.length, 1);
    assert.ok(errors[0]!.startsWith(`${file}:5:5: syntax error: duplicate key`), errors[0]);
  });

  it('colons inside strings neither hide a repeated key nor make one up', (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'flow.json');
    const tasks = '"a": { "run": "echo a:b http://x:80" }, "b": { "run": "echo :::", "after": ["a"] }';
    writeFileSync(file, `{ "version": 1, "tasks": { ${tasks} } }`);
    assert.deepEqual(loadWorkflow(file).tasks.map((task) => task.run), ['echo a:b http://x:80', 'echo :::']);
    writeFileSync(file, `{ "version": 1, "tasks": { ${tasks}, "a": { "run": "echo again" } } }`);
    assert.match(errorsOf(file)[0]!, /flow\.json:1:\d+: syntax error: duplicate key/);
    // Without colons in strings the counts alone decide.
    writeFileSync(file, '{ "version": 1, "tasks": { "a": { "run": "true" }, "b": { "run": "true" }, "b": { "run": "false" } } }');
    assert.match(errorsOf(file)[0]!, /flow\.json:1:\d+: syntax error: duplicate key/);
  });

  it('finds a repeated key in any object, with strings (and their escapes) skipped whole', () => {
    const cases: [string, boolean][] = [
      ['{"a": 1, "a": 2}', true],
      ['{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}', false],
      ['{"a": [1, {"k": 1, "k": 2}]}', true],
      // Escaped quotes inside keys and values: a\"b and a\"c differ.
      [String.raw`{"a\"b": 1, "a\"c": "x\"y, \"a\"b\": 2"}`, false],
      // A value ending in an escaped backslash ends at the quote after it.
      [String.raw`{"x": "ends with \\", "a\\": 1, "a\\": 2}`, true],
      [String.raw`{"x": "\\\"", "y": 1}`, false],
      ['{"a": "{\\"a\\": 1, ", "b": {"a": "}"}, "c": "]"}', false],
    ];
    for (const [text, expected] of cases) {
      JSON.parse(text);
      assert.equal(hasDuplicateKey(text), expected, text);
    }
  });

  it('a JSON file that begins with a byte-order mark is read', (t) => {
    const file = path.join(tempDir(t), 'bom.json');
    writeFileSync(file, '\ufeff{ "version": 1, "tasks": { "a": { "run": "echo a" } } }\n');
    assert.equal(loadWorkflow(file).tasks.length, 1);
  });

  it('a JSON syntax error is reported with its position', (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'flow.json');
    writeFileSync(file, '{\n  "version": 1,\n  "tasks": { "a": { "run": "echo" } \n');
    assert.match(errorsOf(file)[0]!, /flow\.json:4:1: JSON syntax error: /);
  });
});
