/**
 * The contract's `clusters.*` methods: the hosts this process reaches (with those of recent
 * runs listed before anything connects to them), connecting one, and the user's jobs in a
 * connected cluster's SLURM queue.
 */
import { CodedError } from '../model/errors.ts';
import type { Store } from '../store/store.ts';
import type { TargetContext } from '../targets/create.ts';
import type { MethodArgs, MethodResult } from './contract.ts';

/** Jobs listed one by one in a cluster's queue (the counts cover all). */
const QUEUE_LIST = 200;

type ClusterMethod = 'clusters.list' | 'clusters.connect' | 'clusters.queue';

export function clusterHandlers(store: Store, remote: TargetContext['remote']): { [M in ClusterMethod]: (args: MethodArgs<M>) => MethodResult<M> | Promise<MethodResult<M>> } {
  return {
    'clusters.list': () => {
      const clusters = remote?.clusters;
      if (!clusters) return [];
      // Hosts of recent runs are listed even before anything connects to them.
      for (const run of store.listRuns(20)) for (const target of Object.values(run.plan.targets)) if (target.type !== 'local') clusters.connection(target.host);
      return clusters.list();
    },
    'clusters.connect': async (args) => {
      const clusters = remote?.clusters;
      if (!clusters) throw new CodedError('unreachable', 'this process reaches no clusters');
      await clusters.connection(args.destination).connect(remote?.interactive === true);
      return clusters.status(args.destination);
    },
    'clusters.queue': async (args) => {
      // Only a cluster already connected: asking about another one sets nothing up.
      const clusters = remote?.clusters;
      if (!clusters?.list().some((status) => status.destination === args.destination && status.state === 'online')) throw new CodedError('unreachable', `${args.destination} is not connected`);
      const connection = clusters.connection(args.destination);
      // The user's jobs now (squeue lists those not yet ended): by state, and the first ones
      // each with its id, state, reason and name; a host without SLURM says so rather than failing.
      const result = await connection.exec(`command -v squeue >/dev/null 2>&1 || { echo @no-slurm; exit 0; }; squeue -h -u "$(id -un)" -o '%i|%T|%r|%j'`);
      if (result.code !== 0) throw new CodedError('unreachable', `squeue on ${args.destination} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
      const lines = result.stdout.split('\n').filter((line) => line.trim() !== '');
      if (lines[0]?.trim() === '@no-slurm') return { slurm: false, jobs: {}, list: [] };
      const jobs: Record<string, number> = {};
      const list: { id: string; state: string; reason: string; name: string }[] = [];
      for (const line of lines) {
        const [id = '', state = '', reason = '', ...name] = line.split('|');
        jobs[state.trim()] = (jobs[state.trim()] ?? 0) + 1;
        if (list.length < QUEUE_LIST) list.push({ id: id.trim(), state: state.trim(), reason: reason.trim(), name: name.join('|').trim() });
      }
      return { slurm: true, jobs, list };
    },
  };
}
