/**
 * What a cluster runs to go on with a loop while Flotilla is away (core/targets/remote/ahead.ts),
 * run here with this machine's sh and awk and a stand-in for sbatch that records what it is
 * asked to submit: who decides, on what, and what it submits. The same on the test cluster,
 * with SLURM, is in test/serial/loops.serial.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loopAhead } from '../../../core/model/advance.ts';
import type { LoopAhead } from '../../../core/model/advance.ts';
import { evaluate, ExprValueError, parseExpr } from '../../../core/model/expr.ts';
import { loadWorkflow } from '../../../core/model/load.ts';
import { parseValues } from '../../../core/model/values.ts';
import { AHEAD_ITERATIONS, LoopsAhead, decideScript, loopFolder } from '../../../core/targets/remote/ahead.ts';
import type { Dialect } from '../../../core/targets/remote/dialects/dialect.ts';
import { slurm } from '../../../core/targets/remote/dialects/slurm.ts';
import { ssh } from '../../../core/targets/remote/dialects/ssh.ts';
import { remoteCwd, submitScript } from '../../../core/targets/remote/scripts.ts';
import { parsePoll, pollScript } from '../../../core/targets/remote/protocol.ts';
import { tempDir, waitFor, writeWorkflow } from '../../helpers.ts';

const RUN = 'R1';

function workflow(until: string, max = 20): string {
  return `version: 1
params: { target: 3, "k v": 0, k: 5 }
targets:
  hpc: { type: slurm, host: hpc, root: flotilla }
tasks:
  md:
    repeat: { until: "${until}", max: ${max} }
    target: hpc
    cwd: "segment-{{ repeat.index }}"
    tasks:
      run: { run: "echo {{ repeat.index }} > out.txt", outputs: [out.txt], cache: false }
      check: { after: run, run: "echo done=false >> $FLOTILLA_VALUES" }
`;
}

interface Cluster {
  root: string;
  ahead: LoopAhead;
  loop: string;
  /** The sbatch calls made, in order: job name and dependency. */
  submitted(): string[];
  /** Makes task `task` of iteration `j` end (attempt `n`) with `status`, having published `values`. */
  end(j: number, task: string, status: number, values?: string | Buffer, n?: number): void;
  /** Runs iteration j's decision as a job of it would, once it ended. */
  decide(j: number): Promise<void>;
  /** Iteration j's tasks end with 0, check publishing done=false, and it is decided. */
  iterate(j: number): Promise<void>;
  /** The jobs scancel was asked to stop. */
  cancelled(): string[];
  env: NodeJS.ProcessEnv;
  /** The loop as the core would hand it over from iteration `index`, with the attempt it would make next of each task. */
  aheadFrom(index: number, next: (taskId: string) => number | null): LoopAhead;
}

function cluster(t: Parameters<typeof tempDir>[0], until = 'tasks.check.values.done or repeat.index >= params.target', max = 20, dialect: Dialect = slurm): Cluster {
  const dir = tempDir(t);
  const plan = loadWorkflow(writeWorkflow(dir, workflow(until, max)));
  const control = plan.tasks.find((task) => task.id === 'md')!;
  const ahead = loopAhead(plan, RUN, control, 0);
  const root = path.join(dir, 'remote', RUN);
  mkdirSync(root, { recursive: true });
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const log = path.join(dir, 'sbatch.log');
  // A stand-in for sbatch: records the job's name and dependency, answers the next job id.
  writeFileSync(path.join(bin, 'sbatch'), `#!/bin/sh\nname=; dep=\nfor a; do case $a in --job-name=*) name=\${a#--job-name=} ;; --dependency=*) dep=\${a#--dependency=} ;; esac; done\nn=$(( $(wc -l < ${JSON.stringify(log)} 2>/dev/null || echo 0) + 100 ))\necho "$name $dep" >> ${JSON.stringify(log)}\necho $n\n`);
  chmodSync(path.join(bin, 'sbatch'), 0o755);
  const cancels = path.join(dir, 'scancel.log');
  writeFileSync(path.join(bin, 'scancel'), `#!/bin/sh\necho "$1" >> ${JSON.stringify(cancels)}\n`);
  chmodSync(path.join(bin, 'scancel'), 0o755);
  const files = new LoopsAhead(RUN).files(root, [ahead], { dialect, arrayLimit: 4 });
  execFileSync('sh', ['-c', files.text], { cwd: dir });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, SLURM_JOB_ID: '7', SLURM_CPUS_PER_TASK: '8' };
  return {
    root,
    ahead,
    loop: loopFolder(root, 'md'),
    submitted: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    aheadFrom: (index, next) => loopAhead(plan, RUN, control, index, next),
    cancelled: () => (existsSync(cancels) ? readFileSync(cancels, 'utf8').trim().split('\n') : []),
    env,
    end(j, task, status, values, n = 1) {
      const attempt = path.join(root, `segment-${j}`, '.flotilla', RUN, `md#${j}%2F${task}.${n}`);
      mkdirSync(attempt, { recursive: true });
      writeFileSync(path.join(attempt, 'status'), `start 1.5 node 7\nend 2.5 ${status} \n`);
      if (values !== undefined) writeFileSync(path.join(attempt, 'values'), values);
    },
    async iterate(j) {
      this.end(j, 'run', 0);
      this.end(j, 'check', 0, 'done=false\n');
      await this.decide(j);
    },
    decide: (j) =>
      new Promise((resolve, reject) => {
        const child = spawn('sh', [path.join(loopFolder(root, 'md'), `decide-${j}.sh`)], { env, stdio: 'inherit' });
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`decide-${j}.sh exited ${code}`))));
      }),
  };
}

const read = (file: string) => readFileSync(file, 'utf8');

describe('a loop its cluster goes on with', () => {
  it('is decided once every task of the iteration ended with 0, by one job, which submits the next iteration as Flotilla would', async (t) => {
    const c = cluster(t);
    c.end(0, 'run', 0);
    await c.decide(0);
    assert.equal(existsSync(path.join(c.loop, 'decided-0')), false, 'check has not ended: nothing is decided');
    c.end(0, 'check', 0, 'done=false\n');
    // Both jobs of the iteration find it ended at once: one decides.
    await Promise.all([c.decide(0), c.decide(0), c.decide(0)]);
    assert.equal(read(path.join(c.loop, 'decided-0', 'answer')), 'value b 0\n');
    assert.match(read(path.join(c.loop, 'decided-0', 'facts')), /^repeat\.index\t0\nparams\.target\t3\ntasks\.check\.values\.done\tfalse\n$/m);
    const jobs = c.submitted();
    assert.equal(jobs.length, 2, jobs.join('\n'));
    // Iteration 1's two tasks, the second after the first (by the job id sbatch gave it).
    assert.match(jobs[0]!, /^flotilla\.R1\.[0-9a-f]{10}\.1 $/);
    assert.match(jobs[1]!, /^flotilla\.R1\.[0-9a-f]{10}\.1 afterok:100$/);
    const next = read(path.join(c.loop, 'decided-0', 'next', 'answer'));
    assert.match(next, /^submitted t0 100\nsubmitted t1 101\n@end\n$/);
    // In the folders Flotilla's own submission would use: it finds the job there and submits nothing.
    assert.equal(read(path.join(c.root, 'segment-1', '.flotilla', RUN, 'md#1%2Frun.1', 'jobid')), '100\n');
    // A job requeued after deciding decides nothing again.
    await c.decide(0);
    assert.equal(c.submitted().length, 2);
  });

  it('goes no further than until says, or than max, or than Flotilla wrote ahead', async (t) => {
    const c = cluster(t, 'tasks.check.values.done or repeat.index >= params.target', 3);
    for (const j of [0, 1, 2]) await c.iterate(j);
    assert.equal(read(path.join(c.loop, 'decided-1', 'answer')), 'value b 0\n');
    assert.equal(existsSync(path.join(c.loop, 'decided-1', 'next')), true);
    // Iteration 2 is the last max allows: Flotilla decides on_max.
    assert.equal(read(path.join(c.loop, 'decided-2', 'answer')), 'value b 0\n');
    assert.equal(existsSync(path.join(c.loop, 'decided-2', 'next')), false);
    assert.equal(c.submitted().length, 4);
    assert.equal(existsSync(path.join(c.loop, 'decide-3.sh')), false);

    const d = cluster(t);
    d.end(0, 'run', 0);
    d.end(0, 'check', 0, 'done=true\n');
    await d.decide(0);
    assert.equal(read(path.join(d.loop, 'decided-0', 'answer')), 'value b 1\n');
    assert.equal(d.submitted().length, 0, 'until holds: the loop ends, and Flotilla ends it');
    assert.equal(existsSync(path.join(d.loop, `submit-${AHEAD_ITERATIONS}.sh`)), true);
    assert.equal(existsSync(path.join(d.loop, `submit-${AHEAD_ITERATIONS + 1}.sh`)), false, 'made ahead as far as AHEAD_ITERATIONS');
  });

  it('waits for Flotilla on a failure, on the latest attempt of each task, and on what it does not read as the core does', async (t) => {
    const c = cluster(t);
    c.end(0, 'run', 1);
    c.end(0, 'check', 0, 'done=false\n');
    await c.decide(0);
    assert.equal(existsSync(path.join(c.loop, 'decided-0')), false, 'a task failed: Flotilla retries it, or not');
    // Attempt 2 (Flotilla retried it) succeeded: its end decides.
    c.end(0, 'run', 0, undefined, 2);
    await c.decide(0);
    assert.equal(read(path.join(c.loop, 'decided-0', 'answer')), 'value b 0\n');
    assert.equal(c.submitted().length, 2);
    // Attempt 2 of check, started and not ended, is the latest: nothing is decided.
    const e = cluster(t);
    e.end(0, 'run', 0);
    e.end(0, 'check', 0, 'done=false\n');
    mkdirSync(path.join(e.root, 'segment-0', '.flotilla', RUN, 'md#0%2Fcheck.2'));
    await e.decide(0);
    assert.equal(existsSync(path.join(e.loop, 'decided-0')), false);
    // A stop Flotilla left: nothing goes on.
    const f = cluster(t);
    writeFileSync(path.join(f.loop, 'stop'), '');
    f.end(0, 'run', 0);
    f.end(0, 'check', 0, 'done=false\n');
    await f.decide(0);
    assert.equal(existsSync(path.join(f.loop, 'decided-0')), false);
  });

  it('never decides otherwise than the core would from the same values file: the same answer, or it waits', async (t) => {
    const files: (string | Buffer)[] = [
      'done=false\n', 'done=true\n', 'done = false \n', 'done=false\ndone=true\n', 'done=true\ndone=false\n', 'done="no"\n', 'done=0\n', 'done=null\n',
      'other=1\n', '', 'done=false\nnot a line\n', 'done=false\r\n', 'done=false\f\n', 'done=\u00a0false\n', 'done=false\u3000\n', '\ufeffdone=false\n',
      'done=false\n\u0000\n', 'done=[false]\n', 'done={"a": 1}\n', 'done="fal\\u0073e"\n', 'done=1e999\n', `${'x=1\n'.repeat(20_000)}done=false\n`,
      'done=false\n\n\n', '  \t\ndone=false', '9x=1\ndone=false\n', 'done=FALSE\n',
      // A tab inside a quoted string (JSON refuses it: the core keeps the quotes), inside text; bytes that are not UTF-8.
      'done="a\tb"\n', 'done=a\tb\n', 'done="a b"\n', Buffer.from('done=a\xffb\n', 'latin1'), 'done=a\u{10000}\n', 'done=\u00e9t\u00e9\n',
    ];
    const untils = ['tasks.check.values.done == false and repeat.index < params.target', "tasks.check.values.done != 'a\\tb'", "tasks.check.values.done != 'a b' and tasks.check.values.done < 'a\u{10000}'"];
    for (const until of untils) {
      for (const text of files) {
        const c = cluster(t, until);
        c.end(0, 'run', 0);
        c.end(0, 'check', 0, text);
        await c.decide(0);
        const answer = read(path.join(c.loop, 'decided-0', 'answer')).trim();
        const parsed = parseValues(Buffer.from(text).toString('utf8'));
        let core: boolean | 'error';
        try {
          if ('problem' in parsed) throw new ExprValueError(parsed.problem);
          const value = evaluate(parseExpr(until.replaceAll('\\t', '\t')), (name) => {
            if (name.text === 'repeat.index') return 0;
            if (name.text === 'params.target') return 3;
            if (!Object.hasOwn(parsed.values, 'done')) throw new ExprValueError('no value');
            return parsed.values.done!;
          });
          core = value === true ? true : value === false ? false : 'error';
        } catch (error) {
          if (!(error instanceof ExprValueError)) throw error;
          core = 'error';
        }
        const shown = `${until} on ${JSON.stringify(Buffer.from(text).toString('latin1').slice(0, 40))}`;
        if (answer.startsWith('unknown') || answer.startsWith('error')) assert.equal(c.submitted().length, 0, shown);
        else {
          assert.notEqual(core, 'error', `${shown}: the core refuses, the cluster answered ${answer}`);
          assert.equal(answer, `value b ${core ? 1 : 0}`, shown);
          assert.equal(c.submitted().length, core ? 0 : 2, shown);
        }
      }
    }
  });

  it('reads names that are not plain words as the core does', async (t) => {
    const c = cluster(t, "params['k v'] == 0 and params.k == 5 and not tasks.check.values.done");
    c.end(0, 'run', 0);
    c.end(0, 'check', 0, 'done=false\n');
    await c.decide(0);
    assert.equal(read(path.join(c.loop, 'decided-0', 'answer')), 'value b 1\n');
    assert.match(read(path.join(c.loop, 'decided-0', 'facts')), /^params\["k v"\]\t0$/m);
  });

  it('is read back by a poll: the iterations the cluster submitted, each attempt taken up once', async (t) => {
    const c = cluster(t);
    for (const j of [0, 1]) await c.iterate(j);
    const loops = new LoopsAhead(RUN);
    const walks = loops.walks(c.root, [c.ahead], slurm);
    const script = pollScript(slurm, [], [], { files: '', walks });
    const answer = parsePoll(spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout);
    assert.equal(answer.complete, true);
    for (const [key, markers] of answer.attempts) assert.equal(loops.absorb(key, markers), true, key);
    // Iterations 1 and 2 were submitted (2 by iteration 1's decision); their jobs and markers are read.
    assert.equal(loops.take('md#1/run', 1)?.jobId, '100');
    assert.equal(loops.take('md#1/run', 1), undefined, 'taken once');
    assert.equal(loops.take('md#1/check', 2), undefined, 'the cluster submits attempt 1 only');
    const run2 = loops.take('md#2/run', 1)!;
    assert.equal(run2.jobId, '102');
    assert.equal(loops.take('md#3/run', 1), undefined, 'iteration 2 has not been decided');
  });

  it('writes each iteration once, again when the loop changed, and a stop after a cancel until Flotilla submits to the loop again', (t) => {
    const c = cluster(t);
    const loops = new LoopsAhead(RUN);
    const options = { dialect: slurm, arrayLimit: 4 };
    const first = loops.files(c.root, [c.ahead], options);
    // The files written: each renamed into place once written whole.
    const written = (text: string) => [...text.matchAll(/^mv -f -- '[^']*\/([a-z]+-\d+\.sh)\.new'/gm)].map((match) => match[1]);
    assert.equal(written(first.text).filter((name) => name!.startsWith('decide-')).length, AHEAD_ITERATIONS + 1);
    assert.equal(written(first.text).filter((name) => name!.startsWith('submit-')).length, AHEAD_ITERATIONS);
    // Not answered: written again with the next command.
    const plain = (text: string) => text.replace(/FLOTILLA_[0-9a-f]{12}/g, 'EOF');
    assert.equal(plain(loops.files(c.root, [c.ahead], options).text), plain(first.text));
    first.written();
    assert.equal(loops.files(c.root, [c.ahead], options).text, '');
    // Iteration 1 submitted: one more iteration ahead.
    const next = loops.files(c.root, [{ ...c.ahead, index: 1 }], options);
    assert.deepEqual(written(next.text), [`decide-${AHEAD_ITERATIONS + 1}.sh`, `probe-${AHEAD_ITERATIONS + 1}.sh`, `submit-${AHEAD_ITERATIONS + 1}.sh`]);
    next.written();
    // The loop changed (a reload): made again from the iteration under way.
    const changed = loops.files(c.root, [{ ...c.ahead, index: 1, version: 'other' }], options);
    assert.deepEqual(written(changed.text).filter((name) => name!.startsWith('decide-')).slice(0, 2), ['decide-1.sh', 'decide-2.sh']);
    changed.written();
    loops.halt({ ...c.ahead, index: 1, version: 'other' });
    const stop = loops.files(c.root, [], options);
    assert.match(stop.text, /^: > '.*\/loops\/md\/stop'$/m);
    assert.match(stop.text, /^rm -rf -- '.*\/loops\/md\/decided-1'$/m);
    stop.written();
    assert.equal(loops.files(c.root, [], options).text, '');
    assert.match(loops.files(c.root, [{ ...c.ahead, index: 1, version: 'other' }], { ...options, submitting: true }).text, /^rm -f -- '.*\/loops\/md\/stop'$/m);
  });

  it('halted (a cancel, iterations run again), stops and sets aside the attempts it made that Flotilla did not, and goes no further', async (t) => {
    const c = cluster(t);
    for (const j of [0, 1]) await c.iterate(j);
    // Iterations 1 and 2 went out from the cluster; Flotilla knows iteration 1 (it will make attempt 2 of its tasks next), not 2.
    const attempts = (id: string) => (id.startsWith('md#1/') ? 2 : 1);
    const halt = c.aheadFrom(1, attempts);
    const loops = new LoopsAhead(RUN);
    loops.halt(halt);
    assert.equal(loops.halting, true);
    const text = loops.files(c.root, [], { dialect: slurm, arrayLimit: 4 }).text;
    execFileSync('sh', ['-c', text], { env: c.env });
    const folder = (j: number, task: string, n: number) => path.join(c.root, `segment-${j}`, '.flotilla', RUN, `md#${j}%2F${task}.${n}`);
    assert.equal(existsSync(folder(1, 'run', 1)), true, 'what Flotilla made stays');
    assert.equal(existsSync(folder(2, 'run', 1)), false, 'what it did not is set aside');
    assert.ok(readdirSync(path.dirname(folder(2, 'run', 1))).some((name) => name.startsWith('md#2%2Frun.1.halted.')));
    // Its jobs had not ended: stopped.
    assert.deepEqual(c.cancelled(), ['102', '103']);
    assert.equal(existsSync(path.join(c.loop, 'decided-1')), false);
    assert.equal(existsSync(path.join(c.loop, 'decided-0')), true);
    assert.equal(existsSync(path.join(c.loop, 'stop')), true);
    // A job of iteration 1 that ends now decides nothing.
    await c.decide(1);
    assert.equal(existsSync(path.join(c.loop, 'decided-1')), false);
  });

  it('on a plain host, goes on by itself: each job starts the tasks after it, the last one of an iteration decides', async (t) => {
    const c = cluster(t, undefined, undefined, ssh);
    // Flotilla submits iteration 0's first task, as it would (then it is away).
    const run = c.ahead.iteration(0)!.tasks[0]!;
    const cwd = remoteCwd(c.root, run.cwd);
    const first = { key: 't0', runId: RUN, task: run, n: 1, cwd, dir: path.join(cwd, '.flotilla', RUN, 'md#0%2Frun.1'), after: [], then: path.join(c.loop, 'decide-0.sh') };
    assert.match(execFileSync('sh', ['-c', submitScript([first], { dialect: ssh, runRoot: c.root, arrayLimit: 1 })], { encoding: 'utf8' }), /^submitted t0 \d+\n@end\n$/);
    await waitFor(() => existsSync(path.join(c.loop, 'decided-3', 'answer')), 'iterations 0–3 to run and be decided', 20_000);
    assert.equal(read(path.join(c.loop, 'decided-3', 'answer')), 'value b 1\n', 'repeat.index >= params.target');
    for (const j of [0, 1, 2, 3]) {
      assert.equal(read(path.join(c.root, `segment-${j}`, 'out.txt')), `${j}\n`);
      // check ran after run, once each.
      const status = (task: string) => read(path.join(c.root, `segment-${j}`, '.flotilla', RUN, `md#${j}%2F${task}.1`, 'status'));
      assert.ok(Number(status('check').split(' ')[1]) >= Number(status('run').split('\n')[1]!.split(' ')[1]), `iteration ${j}: check began after run ended`);
      assert.equal(status('check').match(/^start /gm)?.length, 1);
    }
    assert.equal(existsSync(path.join(c.root, 'segment-4')), false);
    // A task Flotilla handed out already is not started there again (a resume writes the scripts anew).
    const iteration = (check: number | null) => c.aheadFrom(0, (id) => (id.endsWith('/check') ? check : null)).iteration(0)!;
    assert.match(decideScript(c.root, RUN, 'md', iteration(1), true), /start-0-1\.sh/);
    assert.match(decideScript(c.root, RUN, 'md', iteration(2), true), /md#0%2Fcheck\.2'\/jobid/);
    assert.doesNotMatch(decideScript(c.root, RUN, 'md', iteration(null), true), /start-0-1\.sh/);
  });

  it('a submission that finds another one under way in the same folder (the cluster’s, Flotilla’s) answers busy and leaves it be', (t) => {
    const c = cluster(t);
    const run = c.ahead.iteration(1)!.tasks[0]!;
    const cwd = remoteCwd(c.root, run.cwd);
    const dir = path.join(cwd, '.flotilla', RUN, 'md#1%2Frun.1');
    // The other submission: its marker made, sbatch not answered yet (its error file open).
    mkdirSync(path.join(dir, 'submitting'), { recursive: true });
    writeFileSync(path.join(dir, 'submit.err'), '');
    const answer = execFileSync('sh', ['-c', submitScript([{ key: 't0', runId: RUN, task: run, n: 1, cwd, dir, after: [] }], { dialect: slurm, runRoot: c.root, arrayLimit: 1 })], { encoding: 'utf8', env: c.env });
    assert.equal(answer, 'busy t0\n@end\n');
    assert.equal(existsSync(path.join(dir, 'submitting')), true, 'the other submission keeps its marker');
    assert.deepEqual(c.submitted(), []);
  });
});
