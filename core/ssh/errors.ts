export type SshErrorCode = 'host-key-changed' | 'host-key-revoked' | 'host-key-rejected' | 'auth-failed' | 'auth-cancelled' | 'needs-login' | 'connect-failed' | 'offline' | 'closed';

/** A failure with a code the UI can act on and a message a scientist can read. */
export class SshError extends Error {
  readonly code: SshErrorCode;
  constructor(code: SshErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'SshError';
  }
}
