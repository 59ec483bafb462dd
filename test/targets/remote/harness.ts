/**
 * Runs workflows against the test cluster (test/cluster/up.sh): an ssh_config with the alias
 * `cluster`, the cluster's known_hosts, a store, and the runner with a short poll interval.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadWorkflow } from '../../../core/model/load.ts';
import { selectTasks } from '../../../core/model/select.ts';
import { Runner } from '../../../core/scheduler/runner.ts';
import type { RunnerEvent, RunnerOptions } from '../../../core/scheduler/runner.ts';
import { createRun } from '../../../core/scheduler/runs.ts';
import { SshConfig } from '../../../core/ssh/config.ts';
import { KnownHosts } from '../../../core/ssh/known-hosts.ts';
import { REJECT_UNKNOWN_HOSTS } from '../../../core/ssh/ports.ts';
import type { Prompter } from '../../../core/ssh/ports.ts';
import { Store } from '../../../core/store/store.ts';
import { createTargets } from '../../../core/targets/create.ts';
import { Clusters } from '../../../core/targets/remote/clusters.ts';
import type { ClusterStatus } from '../../../core/targets/remote/clusters.ts';
import type { Target } from '../../../core/targets/target.ts';
import { clusterFacts } from '../../cluster.ts';
import { tempDir, writeWorkflow } from '../../helpers.ts';

export const facts = clusterFacts();

export interface Started {
  runner: Runner;
  done: Promise<string>;
  events: RunnerEvent[];
  targets: Record<string, Target>;
}

export interface RemoteHarness {
  dir: string;
  store: Store;
  clusters: Clusters;
  /** Remote folder of this test's runs (relative to the hpc user's home). */
  root: string;
  start(text: string, runner?: Partial<RunnerOptions>): Started & { runId: string };
  /** Starts the runner again on an existing run (a resume), with fresh clusters. */
  resume(runId: string, runner?: Partial<RunnerOptions>, fresh?: boolean): Started;
  /** Writes the files a CLI process needs to reach the cluster; returns its environment. */
  cliEnv(): Record<string, string>;
  states(runId: string): Record<string, string>;
  /** Cluster status changes the targets reported. */
  clusterEvents: ClusterStatus[];
  /** Runs a command on the cluster as the key user, as a person at a terminal would. */
  onCluster(command: string): string;
}

export interface HarnessOptions {
  /** Extra ssh_config lines for the cluster (ServerAliveInterval …). */
  sshConfig?: string;
  reconnectMs?: { first: number; max: number };
  /** known_hosts lines to trust instead of the cluster's real key. */
  knownHosts?: string;
  /** Log in as the password + one-time-code user, answering through this prompter. */
  prompter?: Prompter;
}

export function remoteHarness(t: { after: (fn: () => void) => void; name: string }, options: HarnessOptions = {}): RemoteHarness {
  const dir = tempDir(t);
  const store = Store.open(path.join(dir, 'home'));
  const configFile = path.join(dir, 'ssh_config');
  const login = options.prompter ? `  User ${facts.otpUser.name}\n  IdentityFile none\n` : `  User ${facts.keyUser.name}\n  IdentityFile ${facts.keyUser.key}\n  IdentitiesOnly yes\n`;
  let knownHostsFile = facts.knownHosts;
  if (options.knownHosts !== undefined) writeFileSync((knownHostsFile = path.join(dir, 'known_hosts.given')), options.knownHosts);
  // A CLI process given this config (cliEnv) checks the cluster's key against this file, as ssh would.
  const known = `  UserKnownHostsFile ${knownHostsFile}\n  GlobalKnownHostsFile none\n`;
  writeFileSync(configFile, `Host cluster hpc\n  HostName ${facts.host}\n  Port ${facts.port}\n${login}${known}${options.sshConfig ?? ''}`);
  const makeClusters = () => new Clusters({ config: new SshConfig(configFile), knownHosts: new KnownHosts([knownHostsFile], path.join(dir, 'known_hosts')), hostKeyPolicy: REJECT_UNKNOWN_HOSTS, agent: '', ...(options.prompter ? { prompter: options.prompter } : {}), ...(options.reconnectMs ? { reconnectMs: options.reconnectMs } : {}) });
  let clusters = makeClusters();
  const root = `flotilla-tests/${path.basename(dir)}`;
  t.after(() => {
    clusters.close();
    store.close();
  });
  const harness: RemoteHarness = {
    dir,
    store,
    get clusters() {
      return clusters;
    },
    root,
    clusterEvents: [],
    start(text, runner = {}) {
      const file = writeWorkflow(dir, text.replaceAll('ROOT', root));
      const plan = selectTasks(loadWorkflow(file), { only: [] });
      const runId = createRun(store, plan, {});
      return { runId, ...harness.resume(runId, runner, false) };
    },
    resume(runId, runner = {}, fresh = true) {
      if (fresh) {
        clusters.close();
        clusters = makeClusters();
      }
      const events: RunnerEvent[] = [];
      const run = store.getRun(runId)!;
      const targets = createTargets(run.plan.targets, { runId, root: run.root, remote: { clusters, pollMs: 1000, interactive: options.prompter !== undefined, onCluster: (status) => harness.clusterEvents.push(status) } });
      const instance = new Runner(store, runId, { targets, ...runner, onEvent: (event) => events.push(event) });
      return { runner: instance, done: instance.drive(), events, targets };
    },
    states(runId) {
      return Object.fromEntries(store.taskStates(runId).map((task) => [task.id, task.state]));
    },
    cliEnv() {
      const home = path.join(dir, 'home');
      return { FLOTILLA_HOME: home, FLOTILLA_SSH_CONFIG: configFile };
    },
    onCluster(command) {
      return execFileSync('ssh', ['-F', configFile, '-o', `UserKnownHostsFile=${facts.knownHosts}`, '-o', 'BatchMode=yes', 'cluster', command], { encoding: 'utf8' });
    },
  };
  return harness;
}

/**
 * A loop the test cluster can go on with alone: segments in their own folders (`run` writes
 * its index to out.txt after `sleep` seconds, `check` publishes it as n) until n reaches `last`.
 */
export function clusterLoop(root: string, last: number, sleep: number, extra = '', type: 'slurm' | 'ssh' = 'slurm'): string {
  return `version: 1
targets:
  hpc: { type: ${type}, host: cluster, root: ${root}, poll: 1 }
defaults: { target: hpc, retries: 0 }
tasks:
  md:
    repeat: { until: "tasks.check.values.n >= ${last}", max: 20 }
    cwd: "segment-{{ repeat.index }}"
    tasks:
      run: { run: "sleep ${sleep}; echo {{ repeat.index }} > out.txt", outputs: [out.txt], cache: false }
      check: { after: run, run: 'echo "n={{ repeat.index }}" >> "$FLOTILLA_VALUES"' }
${extra}`;
}
