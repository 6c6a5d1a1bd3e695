/**
 * BFD Control packet codec (RFC 5880 §4.1): the 24-byte mandatory section, big-endian, plus the
 * optional authentication section's presence (A bit; ulvs configures no authentication, so such
 * packets are dropped, §6.8.6). decodeControl() applies the §6.8.6 reception checks that need no
 * session and returns a drop reason instead of throwing, so a malformed datagram is counted, never fatal.
 */

/** Session states as carried in the Sta field (RFC 5880 §4.1). */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
/** One of the four session states. */
export type BfdState = (typeof BfdState)[keyof typeof BfdState];

/** Diagnostic codes (RFC 5880 §4.1, the Diag field) ulvs sends. */
export const BfdDiag = { None: 0, DetectExpired: 1, NeighborDown: 3, AdminDown: 7 } as const;

/** Names of the states, for logs. */
export const STATE_NAMES = ['AdminDown', 'Down', 'Init', 'Up'] as const;

/** Length of a Control packet without authentication (RFC 5880 §4.1). */
export const CONTROL_LEN = 24;

/** One decoded BFD Control packet; intervals in microseconds as on the wire. */
export interface BfdControl {
  diag: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  /** C bit: control plane independent (ulvs sends 0). */
  cpi: boolean;
  demand: boolean;
  detectMult: number;
  myDisc: number;
  yourDisc: number;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
}

/** Why a received datagram was dropped before reaching a session. */
export type BfdDropReason = 'short' | 'version' | 'length' | 'auth' | 'multiplier' | 'multipoint' | 'my-disc-zero' | 'your-disc-zero' | 'ttl' | 'no-session';

/** Writes `p` into `out` (at least 24 bytes) and returns the 24 bytes written. */
export function encodeControl(p: BfdControl, out: Uint8Array = new Uint8Array(CONTROL_LEN)): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, CONTROL_LEN);
  v.setUint8(0, (1 << 5) | (p.diag & 0x1f));
  v.setUint8(1, ((p.state & 3) << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.cpi ? 0x08 : 0) | (p.demand ? 0x02 : 0));
  v.setUint8(2, p.detectMult & 0xff);
  v.setUint8(3, CONTROL_LEN);
  v.setUint32(4, p.myDisc >>> 0);
  v.setUint32(8, p.yourDisc >>> 0);
  v.setUint32(12, p.desiredMinTxUs >>> 0);
  v.setUint32(16, p.requiredMinRxUs >>> 0);
  v.setUint32(20, p.requiredMinEchoRxUs >>> 0);
  return out.subarray(0, CONTROL_LEN);
}

/** Decodes one UDP payload, or says why it must be discarded (RFC 5880 §6.8.6, session-independent checks). */
export function decodeControl(buf: Uint8Array): BfdControl | BfdDropReason {
  if (buf.length < CONTROL_LEN) return 'short';
  const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const b0 = v.getUint8(0),
    b1 = v.getUint8(1),
    len = v.getUint8(3);
  if (b0 >> 5 !== 1) return 'version';
  const auth = (b1 & 0x04) !== 0;
  if (len < (auth ? 26 : CONTROL_LEN) || len > buf.length) return 'length';
  if (auth) return 'auth';
  const detectMult = v.getUint8(2);
  if (detectMult === 0) return 'multiplier';
  if (b1 & 0x01) return 'multipoint';
  const myDisc = v.getUint32(4);
  if (myDisc === 0) return 'my-disc-zero';
  const state = (b1 >> 6) as BfdState;
  const yourDisc = v.getUint32(8);
  if (yourDisc === 0 && state !== BfdState.Down && state !== BfdState.AdminDown) return 'your-disc-zero';
  return {
    diag: b0 & 0x1f,
    state,
    poll: (b1 & 0x20) !== 0,
    final: (b1 & 0x10) !== 0,
    cpi: (b1 & 0x08) !== 0,
    demand: (b1 & 0x02) !== 0,
    detectMult,
    myDisc,
    yourDisc,
    desiredMinTxUs: v.getUint32(12),
    requiredMinRxUs: v.getUint32(16),
    requiredMinEchoRxUs: v.getUint32(20),
  };
}
