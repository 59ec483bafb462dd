/**
 * SSH questions as dialogs, against the test cluster (test/cluster/up.sh): an unknown host
 * key shows its fingerprint and is trusted from the dialog; a password-then-one-time-code
 * login is answered in two dialogs. One-time codes are used up as they are accepted, so
 * this runs after the node suites (see `npm test`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clusterFacts, nextOtp } from '../cluster.ts';
import { artifacts, expect, startCore, stopCore, test } from './fixtures.ts';
import type { Core } from './fixtures.ts';

const facts = clusterFacts();
const knownHosts = path.join(facts.dir, 'ui-known-hosts');
let core: Core;

test.beforeAll(async () => {
  const config = path.join(facts.dir, 'ui-ssh-config');
  // The host keys the dialogs save go to this file, not to anyone's ~/.ssh.
  rmSync(knownHosts, { force: true });
  writeFileSync(
    config,
    `Host *\n  UserKnownHostsFile ${knownHosts}\n  GlobalKnownHostsFile none\n` +
    `Host hpc\n  HostName ${facts.host}\n  Port ${facts.port}\n  User ${facts.keyUser.name}\n  IdentityFile ${facts.keyUser.key}\n  IdentitiesOnly yes\n` +
      `Host otp\n  HostName ${facts.host}\n  Port ${facts.port}\n  User ${facts.otpUser.name}\n  IdentityFile none\n`,
  );
  core = await startCore({ FLOTILLA_SSH_CONFIG: config });
});
test.afterAll(async () => stopCore(core));

test('an unknown host key is asked in a dialog, with its fingerprint, and remembered', async ({ page }) => {
  await page.goto(`${core.url}#/clusters`);
  await page.getByLabel('Connect to').fill('hpc');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Unknown host key' });
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('.fingerprint')).toHaveText(facts.hostKeyFingerprint);
  await page.screenshot({ path: path.join(artifacts, 'host-key-prompt.png') });
  await dialog.getByRole('button', { name: 'Trust and remember' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('row', { name: /hpc/ }).locator('.pill')).toHaveText('online');
  expect(readFileSync(knownHosts, 'utf8')).toContain(facts.hostKey.split(' ')[1]!);
  // Its queue: the test user's jobs by state, from squeue on the cluster.
  await expect(page.getByLabel('Queue of hpc')).toHaveText(/^(no jobs|\d+ [a-z]+(, \d+ [a-z]+)*)$/);
});

test('the queue is live: a job submitted by hand shows with its id, and is gone once it ends', async ({ page }) => {
  const ssh = (command: string) =>
    execFileSync('ssh', ['-p', String(facts.port), '-i', facts.keyUser.key, '-o', `UserKnownHostsFile=${facts.knownHosts}`, '-o', 'BatchMode=yes', `${facts.keyUser.name}@${facts.host}`, command], { encoding: 'utf8' });
  await page.goto(`${core.url}#/clusters`);
  await expect(page.getByRole('row', { name: /hpc/ }).locator('.pill')).toHaveText('online');
  const job = ssh("sbatch --parsable --job-name=by-hand --wrap 'sleep 120'").trim().split(';')[0]!;
  try {
    await page.getByRole('row', { name: /hpc/ }).locator('summary').click({ timeout: 20_000 });
    await expect(page.getByRole('table', { name: 'Jobs on hpc' })).toContainText(job, { timeout: 20_000 });
    await expect(page.getByRole('table', { name: 'Jobs on hpc' })).toContainText('by-hand');
  } finally {
    ssh(`scancel ${job}`);
  }
  await expect(page.getByLabel('Queue of hpc')).not.toContainText(/running|pending/, { timeout: 30_000 });
});

test('a password and a one-time code are asked in dialogs', async ({ page }) => {
  await page.goto(`${core.url}#/clusters`);
  await page.getByLabel('Connect to').fill('otp');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /Log in to/ });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel(/^password/i).fill(facts.otpUser.password);
  await dialog.getByRole('button', { name: 'Send' }).click();
  // The second round: the code ("One-time password (OATH) for …").
  await expect(dialog.getByLabel(/^password/i)).toHaveCount(0);
  await dialog.getByLabel(/one-time/i).fill(nextOtp(facts));
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('row', { name: /otp/ }).locator('.pill')).toHaveText('online');
});
