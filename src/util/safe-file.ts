/**
 * File access that a local user cannot turn against the daemon (root) through a world-writable
 * directory such as /tmp: no write follows a symlink or reuses a file someone else created, and no
 * read blocks (a FIFO) or runs away (/dev/zero). fs.protected_symlinks/protected_regular may be off.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY } = constants;

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
}

/**
 * Replaces `file` with `text` atomically: written to a new file of an unguessable name (O_EXCL, O_NOFOLLOW,
 * `mode`) beside it, then renamed over `file` (rename replaces a symlink there, it never follows it).
 */
export function replaceFileSafely(file: string, text: string, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}`);
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    writeAll(fd, text);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}

/**
 * Writes `text` to `file` without following a symlink at `file`: only when nothing is there (O_EXCL), or,
 * with `overwrite`, also over an existing regular file. Throws (EEXIST, ELOOP) otherwise.
 */
export function writeFileNoFollow(file: string, text: string, overwrite: boolean, mode = 0o644): void {
  const fd = openSync(file, O_WRONLY | O_CREAT | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL), mode);
  try {
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads at most `maxBytes` of a regular file: opened O_NONBLOCK (a FIFO or device put there never blocks the
 * thread pool) and refused unless it is a regular file.
 */
export async function readSmallFile(file: string, maxBytes = 4096): Promise<string> {
  const fh = await open(file, O_RDONLY | O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'ENOTREG' });
    const buf = Buffer.alloc(maxBytes);
    const { bytesRead } = await fh.read(buf, 0, maxBytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
