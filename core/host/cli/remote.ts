/**
 * SSH for the CLI (and web mode and the desktop app, which share `userClusters`): the user's
 * ~/.ssh/config and the known_hosts files it chooses for each host, host-key questions and
 * login prompts on the terminal — or, with no terminal, an unknown host key refused and no
 * prompt at all.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Plan, RemoteTargetSpec } from '../../model/types.ts';
import { SshConfig } from '../../ssh/config.ts';
import { SshError } from '../../ssh/errors.ts';
import { openSshKnownHosts } from '../../ssh/known-hosts.ts';
import { flotillaHome } from '../../util/home.ts';
import { REJECT_UNKNOWN_HOSTS } from '../../ssh/ports.ts';
import type { HostKeyPolicy, Prompter } from '../../ssh/ports.ts';
import { Clusters } from '../../targets/remote/clusters.ts';
import type { RemoteHome } from './dry-run.ts';
import { whileAsking } from './questions.ts';

/**
 * Asks one question on the terminal; `hidden` keeps the answer off the screen. (readline is
 * loaded when a question comes: every command would pay for loading it otherwise.)
 */
function ask(question: string, hidden: boolean): Promise<string | undefined> {
  return whileAsking(() => askNow(question, hidden));
}

/** `ask` for a question that already holds the screen (inside `whileAsking`, which does not nest). */
function askNow(question: string, hidden: boolean): Promise<string | undefined> {
  const { createInterface } = process.getBuiltinModule('node:readline');
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer);
    });
    muted = hidden;
    rl.on('SIGINT', () => {
      rl.close();
      resolve(undefined);
    });
  });
}

const terminalPolicy: HostKeyPolicy = {
  async unknownHost(key) {
    const answer = await whileAsking(() => {
      process.stderr.write(`The host ${key.host} is not known.\n${key.type} key fingerprint is ${key.fingerprint}.\n`);
      return askNow('Trust it? [y]es and remember / [o]nce / [N]o: ', false);
    });
    const word = answer?.trim().toLowerCase();
    return word === 'y' || word === 'yes' ? 'accept-and-save' : word === 'o' || word === 'once' ? 'accept-once' : 'reject';
  },
};

const terminalPrompter: Prompter = {
  keyboardInteractive: (request) =>
    whileAsking(async () => {
      if (request.instructions) process.stderr.write(`${request.instructions}\n`);
      const answers: string[] = [];
      for (const prompt of request.prompts) {
        const answer = await askNow(`${request.user}@${request.host} ${prompt.prompt.trim()} `, !prompt.echo);
        if (answer === undefined) return undefined;
        answers.push(answer);
      }
      return answers;
    }),
  passphrase: (request) => ask(`Passphrase for ${request.keyFile}: `, true),
};

/** Clusters reached with the user's SSH settings; `policy` and `prompter` answer the questions. */
export function userClusters(env: NodeJS.ProcessEnv, policy: HostKeyPolicy, prompter?: Prompter): Clusters {
  return new Clusters({
    config: new SshConfig(env.FLOTILLA_SSH_CONFIG ?? path.join(homedir(), '.ssh', 'config')),
    // (Keys accepted with Flotilla 0.1 were saved in its home: read for hosts OpenSSH's files do not name.)
    knownHosts: openSshKnownHosts(path.join(flotillaHome(env), 'known_hosts')),
    hostKeyPolicy: policy,
    ...(prompter ? { prompter } : {}),
  });
}

/** The CLI's clusters: prompts on the terminal when there is one. */
export function cliClusters(env: NodeJS.ProcessEnv = process.env): { clusters: Clusters; interactive: boolean } {
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  return { clusters: userClusters(env, interactive ? terminalPolicy : REJECT_UNKNOWN_HOSTS, interactive ? terminalPrompter : undefined), interactive };
}

/**
 * For `--dry-run`: the home folder of each remote target whose root is relative to it, asked
 * as a run asks first (`pwd` after login; prompts only on a terminal), so the printed script
 * is the one a run sends. A host that cannot be asked gets the reason instead.
 */
export async function remoteHomes(plan: Plan, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, RemoteHome>> {
  const homes = new Map<string, RemoteHome>();
  const wanted = Object.values(plan.targets).filter(
    (target): target is RemoteTargetSpec => target.type !== 'local' && !path.posix.isAbsolute(target.root) && plan.tasks.some((task) => task.target === target.name),
  );
  if (wanted.length === 0) return homes;
  const { clusters, interactive } = cliClusters(env);
  const asked = new Map<string, Promise<RemoteHome>>();
  const ask = async (host: string): Promise<RemoteHome> => {
    try {
      const connection = clusters.connection(host);
      await connection.connect(interactive);
      const home = (await connection.exec('pwd')).stdout.trim();
      return path.posix.isAbsolute(home) ? { home } : { unknown: `its pwd answered ${JSON.stringify(home.slice(0, 200))}` };
    } catch (error) {
      if (!(error instanceof SshError)) throw error;
      return { unknown: error.message.split('\n')[0]! };
    }
  };
  try {
    // Every host at once: one that does not answer costs its ConnectTimeout, not each one's.
    for (const target of wanted) if (!asked.has(target.host)) asked.set(target.host, ask(target.host));
    for (const target of wanted) homes.set(target.name, await asked.get(target.host)!);
  } finally {
    clusters.close();
  }
  return homes;
}
