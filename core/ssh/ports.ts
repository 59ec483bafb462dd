/**
 * What the SSH layer asks of whoever drives it (the CLI on a terminal, the desktop app in a
 * dialog, a test): whether to trust a host key it has never seen, and the answers to login
 * prompts. Nothing here is ever answered silently.
 */

/** A host key the server presented. */
export interface PresentedKey {
  /** The name the user connects to, as `host` or `[host]:port`. */
  host: string;
  port: number;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa` … */
  type: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The key's wire form (for saving it). */
  blob: Buffer;
}

/** The answer to an unknown host key. */
export type HostKeyDecision = 'accept-once' | 'accept-and-save' | 'reject';

/** Decides about host keys that no known_hosts file lists. */
export interface HostKeyPolicy {
  unknownHost(key: PresentedKey): Promise<HostKeyDecision>;
}

/** One prompt of a keyboard-interactive round (a password, a one-time code …). */
export interface LoginPrompt {
  prompt: string;
  /** Whether the answer may be shown while typed. */
  echo: boolean;
}

/** Asks the user; rejects (or resolves undefined) when the user cancels. */
export interface Prompter {
  /** One keyboard-interactive round: answers in the order of the prompts. */
  keyboardInteractive(request: { host: string; user: string; name: string; instructions: string; prompts: LoginPrompt[] }): Promise<string[] | undefined>;
  /** The passphrase of an encrypted private key. */
  passphrase(request: { host: string; user: string; keyFile: string }): Promise<string | undefined>;
}

/** A policy that refuses every unknown key: for runs without anyone to ask. */
export const REJECT_UNKNOWN_HOSTS: HostKeyPolicy = {
  unknownHost: async () => 'reject',
};
