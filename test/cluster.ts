/**
 * The test cluster's facts, written by test/cluster/up.sh. The README's test command brings
 * the cluster up first; a missing cluster is an error here, never a skip.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface ClusterFacts {
  dir: string;
  host: string;
  port: number;
  netns: string;
  hostKey: string;
  hostKeyFingerprint: string;
  knownHosts: string;
  sshdLog: string;
  slurmConf: string;
  minJobAge: number;
  partitions: string[];
  keyUser: { name: string; key: string; passphraseKey: string; passphrase: string; home: string };
  otpUser: { name: string; password: string; totpSecretHex: string; home: string };
  gromacs: boolean;
}

export function clusterFacts(): ClusterFacts {
  const dir = process.env.FLOTILLA_CLUSTER_DIR ?? '/var/tmp/flotilla-cluster';
  const file = path.join(dir, 'cluster.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterFacts;
  } catch (error) {
    throw new Error(`the test cluster is not up (${file}: ${(error as Error).message}); run 'sudo test/cluster/up.sh' (the README's test command does)`, { cause: error });
  }
}

/** The TOTP code of a 30-second time step (RFC 6238, SHA-1, 6 digits). */
export function totp(secretHex: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', Buffer.from(secretHex, 'hex')).update(counter).digest();
  const offset = mac[19]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * A one-time code the server has not seen yet: pam_oath refuses a code of a time step at or
 * before the last one used, so this takes the step after the last one (read from its users
 * file) when that is ahead of the clock (it accepts steps up to 20 ahead).
 */
export function nextOtp(facts: ClusterFacts): string {
  const now = Math.floor(Date.now() / 30_000);
  const fields = readFileSync(path.join(facts.dir, 'etc', 'users.oath'), 'utf8').trim().split(/\s+/);
  let step = now;
  const lastCode = fields[5];
  if (lastCode) {
    for (let candidate = now - 40; candidate <= now + 40; candidate++) if (totp(facts.otpUser.totpSecretHex, candidate) === lastCode) step = Math.max(step, candidate + 1);
  }
  return totp(facts.otpUser.totpSecretHex, step);
}

/** Lines sshd logged since `from` (a length returned by `logLength`). */
export function sshdLogSince(facts: ClusterFacts, from: number): string[] {
  return readFileSync(facts.sshdLog, 'utf8').slice(from).split('\n').filter(Boolean);
}

export function logLength(facts: ClusterFacts): number {
  return readFileSync(facts.sshdLog, 'utf8').length;
}
