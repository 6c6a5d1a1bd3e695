/**
 * SMTP_CHECK (keepalived check_smtp.c smtp_engine_thread): connect, read the greeting and require status
 * 220, send `HELO <helo_name>\r\n` and require 250, send `QUIT\r\n` and read one reply line. Each reply is
 * judged by its first line as keepalived does: exactly three digits followed by a space or the line end
 * (so a multi-line `220-` greeting fails there too). The whole dialogue shares connect_timeout per step.
 */
import type net from 'node:net';
import type { ResolvedChecker } from '../resolve.js';
import type { SmtpCheckSpec } from '../types.js';
import { connectTcp } from './check-tcp.js';
import { errText, type CheckOutcome } from './outcome.js';

/** keepalived's default HELO name (check_smtp.h SMTP_DEFAULT_HELO). */
export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';

/** keepalived reads at most SMTP_BUFF_MAX (512) bytes for a line. */
const LINE_MAX = 512;

/** The status of an SMTP reply line as keepalived's smtp_get_status reads it; -1 when malformed. */
export function smtpStatus(line: string): number {
  const m = /^(\d{3})(?: |\r?$)/.exec(line);
  return m ? Number(m[1]) : -1;
}

/** Reads one line (up to LF) from `socket` within `timeoutMs`. */
function readLine(socket: net.Socket, timeoutMs: number): Promise<string | CheckOutcome> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (r: string | CheckOutcome): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      resolve(r);
    };
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
      else if (buf.length >= LINE_MAX - 1) buf = '';
    };
    const onEnd = (): void => done({ ok: false, reason: 'read failure: the server closed the connection' });
    const onError = (e: Error): void => done({ ok: false, reason: `read failure: ${errText(e)}` });
    const timer = setTimeout(() => done({ ok: false, reason: `read timeout after ${timeoutMs} ms` }), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
  });
}

/** One SMTP_CHECK attempt. */
export async function probeSmtp(c: ResolvedChecker): Promise<CheckOutcome> {
  const r = await connectTcp(c, c.connectTimeoutMs);
  if ('outcome' in r) return r.outcome;
  const socket = r.socket;
  socket.on('error', () => {});
  try {
    const banner = await readLine(socket, c.connectTimeoutMs);
    if (typeof banner !== 'string') return banner;
    if (smtpStatus(banner) !== 220) return { ok: false, reason: `bad greeting banner: ${banner.trim().slice(0, 80)}` };
    socket.write(`HELO ${(c.spec as SmtpCheckSpec).heloName ?? SMTP_DEFAULT_HELO}\r\n`);
    const helo = await readLine(socket, c.connectTimeoutMs);
    if (typeof helo !== 'string') return helo;
    if (smtpStatus(helo) !== 250) return { ok: false, reason: `bad HELO response: ${helo.trim().slice(0, 80)}` };
    socket.write('QUIT\r\n');
    const quit = await readLine(socket, c.connectTimeoutMs);
    if (typeof quit !== 'string') return quit;
    return { ok: true, reason: 'SMTP HELO answered 250' };
  } finally {
    socket.destroy();
  }
}
