/**
 * UDP_CHECK (keepalived check_udp.c): send the payload on a connected UDP socket. Without require_reply
 * the check passes unless an ICMP error (port/host unreachable, surfaced as ECONNREFUSED/EHOSTUNREACH)
 * arrives within connect_timeout; with require_reply a reply of min..max_reply_length bytes matching the
 * hex pattern (X = any nibble) must arrive.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { UdpCheckSpec } from '../types.js';
import type { ResolvedChecker } from '../resolve.js';
import { HEALTH_DEFAULTS } from '../types.js';
import { errText, targetHost, type CheckOutcome } from './outcome.js';

/** Whether reply starts with the hex pattern, `X`/`x` matching any nibble. */
export function matchesHexPattern(reply: Uint8Array, pattern: string): boolean {
  const p = pattern.replace(/\s+/g, '');
  if (p.length > reply.length * 2) return false;
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === 'X' || ch === 'x') continue;
    const byte = reply[i >> 1];
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0xf;
    if (parseInt(ch, 16) !== nibble) return false;
  }
  return true;
}

/**
 * Sends `payload` from a connected UDP socket and waits up to timeoutMs; `accept` decides on a reply
 * (true = done/ok, string = failure reason, null = keep waiting). On timeout, `onTimeout` gives the outcome.
 */
export function udpExchange(
  c: ResolvedChecker,
  payload: Uint8Array,
  timeoutMs: number,
  accept: (msg: Buffer) => true | string | null,
  onTimeout: CheckOutcome,
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const host = targetHost(c);
    const sock = dgram.createSocket(net.isIPv6(c.host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (o: CheckOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      resolve(o);
    };
    const timer = setTimeout(() => finish(onTimeout), timeoutMs);
    sock.on('error', (e) => finish({ ok: false, reason: `UDP error: ${errText(e)}` }));
    sock.on('message', (msg) => {
      const v = accept(msg);
      if (v === true) finish({ ok: true, reason: `reply of ${msg.length} bytes` });
      else if (typeof v === 'string') finish({ ok: false, reason: v });
    });
    try {
      sock.bind({ address: c.bindTo, port: c.bindPort ?? 0 }, () => {
        sock.connect(c.port, host, (err?: Error) => {
          if (err) return finish({ ok: false, reason: `UDP connect failed: ${errText(err)}` });
          sock.send(payload, (e) => {
            if (e) finish({ ok: false, reason: `UDP send failed: ${errText(e)}` });
          });
        });
      });
    } catch (e) {
      finish({ ok: false, reason: `UDP socket failed: ${errText(e)}` });
    }
  });
}

/** One UDP_CHECK attempt. */
export function probeUdp(c: ResolvedChecker): Promise<CheckOutcome> {
  const spec = c.spec as UdpCheckSpec;
  const min = spec.minReplyLength ?? HEALTH_DEFAULTS.minReplyLength;
  const max = spec.maxReplyLength ?? HEALTH_DEFAULTS.maxReplyLength;
  const requireReply = spec.requireReply || spec.requireReplyPattern !== undefined;
  return udpExchange(
    c,
    spec.payload ?? new Uint8Array(0),
    c.connectTimeoutMs,
    (msg) => {
      if (!requireReply) return true;
      if (msg.length < min || msg.length > max) return `reply length ${msg.length} outside ${min}..${max}`;
      if (spec.requireReplyPattern && !matchesHexPattern(msg, spec.requireReplyPattern)) return 'reply does not match require_reply';
      return true;
    },
    requireReply ? { ok: false, reason: `no reply within ${c.connectTimeoutMs} ms` } : { ok: true, reason: 'no ICMP error' },
  );
}
