/**
 * Checks for the privileges network work needs (CAP_NET_ADMIN and CAP_NET_RAW, or root).
 */
import { ERROR_CODES, UlvsError } from '../core/errors.js';
import { readFileSync } from 'node:fs';

const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/** Raised when the process lacks the capabilities a command needs. */
export class PrivilegeError extends UlvsError {
  constructor(message: string) {
    super(message, ERROR_CODES.NotRoot);
  }
}

/** True when this process's effective capability set holds CAP_NET_ADMIN and CAP_NET_RAW. */
export function hasNetCapabilities(): boolean {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CapEff:'));
    if (!line) return process.getuid?.() === 0;
    const eff = BigInt('0x' + line.split(/\s+/)[1]);
    return ((eff >> BigInt(CAP_NET_ADMIN)) & 1n) === 1n && ((eff >> BigInt(CAP_NET_RAW)) & 1n) === 1n;
  } catch {
    return process.getuid?.() === 0;
  }
}

/** Throws a one-sentence PrivilegeError unless the process may configure the network. */
export function requireNetAdmin(what: string): void {
  if (!hasNetCapabilities()) {
    throw new PrivilegeError(`${what} needs root (or CAP_NET_ADMIN and CAP_NET_RAW): run it with sudo`);
  }
}
