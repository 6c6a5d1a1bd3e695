// Reading one config file safely: regular files only (a FIFO or device is refused, never read), within a byte budget.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** The most bytes one load reads over all its files (main file and includes): 16 MiB. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** What a non-regular file is, in words (for the refusal). */
function fileKind(st: Stats): string {
  return st.isDirectory()
    ? 'a directory'
    : st.isFIFO()
      ? 'a FIFO'
      : st.isSocket()
        ? 'a socket'
        : st.isCharacterDevice()
          ? 'a character device'
          : st.isBlockDevice()
            ? 'a block device'
            : 'not a regular file';
}

/**
 * Reads a regular file of at most `budget` bytes. Opened O_NONBLOCK and checked with fstat before any
 * read, so a FIFO, device, socket or directory is refused at once instead of blocking or never ending.
 * Throws an Error whose code is ENOTREG (message: what it is) or EFBIG, or the open error.
 */
export function readRegularFile(path: string, budget: number): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`is ${fileKind(st)}, not a regular file`), { code: 'ENOTREG' });
    if (st.size > budget) throw Object.assign(new Error(`is ${st.size} bytes`), { code: 'EFBIG' });
    // Read at most budget+1 bytes: a file that grows while read is still capped.
    const buf = Buffer.allocUnsafe(Math.min(budget + 1, st.size + 65536));
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > budget) throw Object.assign(new Error(`grew past ${budget} bytes while read`), { code: 'EFBIG' });
      if (n === buf.length) break;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}
