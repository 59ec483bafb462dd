/**
 * `npm run bench:staging`: Flotilla's SFTP staging against OpenSSH's `sftp` client on the same
 * server (the test cluster, test/cluster/up.sh), side by side in one run: upload and download
 * of one 200 MB file and of 2,000 files of 10 KB. Prints MB/s for both and the ratio
 * (Flotilla / sftp; the target is ≥ 0.8). Not a test: figures depend on the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SshConfig } from '../core/ssh/config.ts';
import { KnownHosts } from '../core/ssh/known-hosts.ts';
import { REJECT_UNKNOWN_HOSTS } from '../core/ssh/ports.ts';
import { Clusters } from '../core/targets/remote/clusters.ts';
import { download, upload } from '../core/targets/remote/staging.ts';
import type { FilePair } from '../core/targets/remote/staging.ts';
import { clusterFacts } from '../test/cluster.ts';

const facts = clusterFacts();
const work = mkdtempSync(path.join(tmpdir(), 'flotilla-bench-staging-'));
const config = path.join(work, 'ssh_config');
writeFileSync(config, `Host cluster\n  HostName ${facts.host}\n  Port ${facts.port}\n  User ${facts.keyUser.name}\n  IdentityFile ${facts.keyUser.key}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${facts.knownHosts}\n  BatchMode yes\n`);
const remoteBase = `bench-staging-${process.pid}`;

function ssh(command: string): string {
  return execFileSync('ssh', ['-F', config, 'cluster', command], { encoding: 'utf8' });
}

function sftp(batch: string): number {
  const file = path.join(work, 'batch');
  writeFileSync(file, batch);
  const started = performance.now();
  execFileSync('sftp', ['-F', config, '-q', '-b', file, 'cluster'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - started;
}

function makeSet(name: string, count: number, size: number): { dir: string; files: string[]; bytes: number } {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const chunk = Buffer.alloc(Math.min(size, 1 << 20));
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `f${String(i).padStart(5, '0')}.bin`);
    const out: Buffer[] = [];
    for (let left = size; left > 0; left -= chunk.length) {
      for (let k = 0; k < chunk.length; k += 4) chunk.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, k);
      out.push(Buffer.from(chunk.subarray(0, Math.min(left, chunk.length))));
    }
    writeFileSync(file, Buffer.concat(out));
    files.push(file);
  }
  return { dir, files, bytes: count * size };
}

async function main(): Promise<void> {
  const clusters = new Clusters({ config: new SshConfig(config), knownHosts: new KnownHosts([facts.knownHosts], path.join(work, 'known_hosts')), hostKeyPolicy: REJECT_UNKNOWN_HOSTS, agent: '' });
  const connection = clusters.connection('cluster');
  await connection.connect(false);
  const home = (await connection.exec('pwd')).stdout.trim();
  const sets = [makeSet('big', 1, 200 * 1024 * 1024), makeSet('small', 2000, 10 * 1024)];
  const results: string[] = [];
  for (const set of sets) {
    const name = path.basename(set.dir);
    const mb = set.bytes / 1e6;
    // OpenSSH sftp: the folder up, then back down.
    ssh(`rm -rf ${remoteBase} && mkdir -p ${remoteBase}/sftp`);
    const sftpUp = sftp(`put -r ${set.dir} ${remoteBase}/sftp/\n`);
    rmSync(path.join(work, 'back'), { recursive: true, force: true });
    mkdirSync(path.join(work, 'back'));
    const sftpDown = sftp(`get -r ${remoteBase}/sftp/${name} ${path.join(work, 'back')}\n`);
    // Flotilla: the same files, fresh on both sides (nothing to skip).
    const pairs: FilePair[] = set.files.map((file) => ({ local: file, remote: `${home}/${remoteBase}/flotilla/${name}/${path.basename(file)}` }));
    let started = performance.now();
    await upload(connection, pairs, new Map());
    const ourUp = performance.now() - started;
    rmSync(path.join(work, 'back'), { recursive: true, force: true });
    const back = pairs.map((pair) => ({ remote: pair.remote, local: path.join(work, 'back', path.basename(pair.local)), size: set.bytes / set.files.length, mtime: 0 }));
    started = performance.now();
    await download(connection, work, back);
    const ourDown = performance.now() - started;
    const rate = (ms: number) => mb / (ms / 1000);
    results.push(
      `${name.padEnd(5)} ${set.files.length} × ${(set.bytes / set.files.length / 1024).toFixed(0)} KiB  up: flotilla ${rate(ourUp).toFixed(1)} MB/s, sftp ${rate(sftpUp).toFixed(1)} MB/s, ratio ${(sftpUp / ourUp).toFixed(2)}` +
        `  down: flotilla ${rate(ourDown).toFixed(1)} MB/s, sftp ${rate(sftpDown).toFixed(1)} MB/s, ratio ${(sftpDown / ourDown).toFixed(2)}`,
    );
  }
  ssh(`rm -rf ${remoteBase}`);
  clusters.close();
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`staging over SFTP vs OpenSSH sftp (ratio = flotilla throughput / sftp; target ≥ 0.8)\n${results.join('\n')}\n`);
}

await main();
