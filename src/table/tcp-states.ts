/**
 * IPVS TCP connection states and transitions (net/netfilter/ipvs/ip_vs_proto_tcp.c: tcp_states,
 * tcp_states_dos, tcp_timeouts, set_tcp_state). Pure data plus one pure step function.
 *
 * Generation choice (documented): newer kernels (>= 5.x) — an ACK in state NONE goes to ESTABLISHED
 * (older kernels: CLOSE), and "active" means ESTABLISHED, SYN_SENT, SYN_RECV or SYNACK
 * (tcp_state_active_table; older kernels counted only ESTABLISHED as active).
 */

/** TCP state numbers exactly as the kernel's IP_VS_TCP_S_* (also the index into timeouts). */
export const enum TcpState {
  None = 0,
  Established = 1,
  SynSent = 2,
  SynRecv = 3,
  FinWait = 4,
  TimeWait = 5,
  Close = 6,
  CloseWait = 7,
  LastAck = 8,
  Listen = 9,
  SynAck = 10,
}

/** Number of TCP states. */
export const TCP_STATE_COUNT = 11;

/** State names as /proc/net/ip_vs_conn and `ipvsadm -L -c` print them (tcp_state_name_table). */
export const TCP_STATE_NAMES: readonly string[] = [
  'NONE',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'SYNACK',
];

/** Direction of a packet relative to the connection (tcp_state_off: INPUT, OUTPUT, INPUT_ONLY). */
export const enum TcpDir {
  /** Client -> director (NAT connection that has seen output). */
  Input = 0,
  /** Real server -> client through the director (NAT replies). */
  Output = 1,
  /** Client -> director on a NOOUTPUT connection (DR, TUN, local, or NAT before its first reply). */
  InputOnly = 2,
}

/** Packet class index (tcp_state_idx order): syn, fin, ack, rst; -1 = no flag (-> CLOSE). */
export const enum TcpEvent {
  Syn = 0,
  Fin = 1,
  Ack = 2,
  Rst = 3,
  None = -1,
}

const S: Record<string, number> = { NO: 0, ES: 1, SS: 2, SR: 3, FW: 4, TW: 5, CL: 6, CW: 7, LA: 8, LI: 9, SA: 10 };

// Rows in tcp_states order: INPUT syn fin ack rst, OUTPUT syn fin ack rst, INPUT_ONLY syn fin ack rst.
// Columns: current state NO ES SS SR FW TW CL CW LA LI SA.
const NORMAL = [
  'SR ES ES SR SR SR SR SR SR SR SR', // INPUT syn
  'CL CW SS TW TW TW CL CW LA LI TW', // INPUT fin
  'ES ES SS ES FW TW CL CW CL LI ES', // INPUT ack (NO->ES: newer kernels)
  'CL CL CL SR CL CL CL CL LA LI SR', // INPUT rst
  'SS ES SS SR SS SS SS SS SS LI SR', // OUTPUT syn
  'TW FW SS TW FW TW CL TW LA LI TW', // OUTPUT fin
  'ES ES SS ES FW TW CL CW LA ES ES', // OUTPUT ack
  'CL CL SS CL CL TW CL CL CL CL CL', // OUTPUT rst
  'SR ES ES SR SR SR SR SR SR SR SR', // INPUT_ONLY syn
  'CL FW SS TW FW TW CL CW LA LI TW', // INPUT_ONLY fin
  'ES ES SS ES FW TW CL CW CL LI ES', // INPUT_ONLY ack
  'CL CL CL SR CL CL CL CL LA LI CL', // INPUT_ONLY rst
];

// secure_tcp (tcp_states_dos): the normal table with these cells changed.
const SECURE_PATCH: Array<[row: number, from: string, to: string]> = [
  [0, 'SA', 'SA'],
  [1, 'SA', 'SA'],
  [2, 'SR', 'SR'],
  [2, 'SA', 'SA'],
  [3, 'SA', 'CL'],
  [4, 'SR', 'SA'],
  [4, 'SA', 'SA'],
  [8, 'NO', 'SA'],
  [8, 'FW', 'SA'],
  [8, 'TW', 'SA'],
  [8, 'CL', 'SA'],
  [8, 'CW', 'SA'],
  [8, 'LA', 'SA'],
  [8, 'LI', 'SA'],
  [8, 'SA', 'SA'],
];

function build(secure: boolean): Uint8Array {
  const t = new Uint8Array(12 * TCP_STATE_COUNT);
  NORMAL.forEach((row, r) =>
    row.split(' ').forEach((s, c) => {
      t[r * TCP_STATE_COUNT + c] = S[s]!;
    }),
  );
  if (secure) for (const [r, from, to] of SECURE_PATCH) t[r * TCP_STATE_COUNT + S[from]!] = S[to]!;
  return t;
}

/** Transition table of normal mode: index (dir*4 + event)*11 + state. */
export const TCP_TABLE_NORMAL: Uint8Array = build(false);
/** Transition table of secure_tcp mode (tcp_states_dos). */
export const TCP_TABLE_SECURE: Uint8Array = build(true);

/** States counted as active connections (newer kernels' tcp_state_active_table). */
export const TCP_STATE_ACTIVE: Uint8Array = Uint8Array.from([0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]);

/** Default per-state timeouts in seconds (tcp_timeouts). */
export const TCP_DEFAULT_TIMEOUTS_S: readonly number[] = [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120];

/** UDP's single state: number (IP_VS_UDP_S_NORMAL) and name. */
export const UDP_STATE = 0;
/** Name of the UDP state in connection listings. */
export const UDP_STATE_NAME = 'UDP';

/** Timeout of a freshly created connection before its first state transition (ip_vs_conn_new: 3 s). */
export const NEW_CONN_TIMEOUT_MS = 3000;

/** TCP flag bits as in the header's flags byte. */
export const TCP_FIN = 0x01;
/** SYN flag bit. */
export const TCP_SYN = 0x02;
/** RST flag bit. */
export const TCP_RST = 0x04;
/** ACK flag bit. */
export const TCP_ACK = 0x10;

/** Packet class of a TCP flags byte in the kernel's priority order RST > SYN > FIN > ACK (tcp_state_idx). */
export function tcpEvent(flags: number): TcpEvent {
  if (flags & TCP_RST) return TcpEvent.Rst;
  if (flags & TCP_SYN) return TcpEvent.Syn;
  if (flags & TCP_FIN) return TcpEvent.Fin;
  if (flags & TCP_ACK) return TcpEvent.Ack;
  return TcpEvent.None;
}

/**
 * Next TCP state (pure step of set_tcp_state): `dir` already resolved to InputOnly for NOOUTPUT
 * connections; a packet with no SYN/FIN/ACK/RST flag moves to CLOSE.
 */
export function nextTcpState(table: Uint8Array, dir: TcpDir, flags: number, state: number): number {
  const ev = tcpEvent(flags);
  if (ev < 0) return TcpState.Close;
  return table[(dir * 4 + ev) * TCP_STATE_COUNT + state]!;
}

/** Per-state timeouts in ms from `--set tcp tcpfin` (0 = keep the default), as the kernel applies them. */
export function tcpTimeoutsMs(tcpS: number, tcpFinS: number): Uint32Array {
  const t = Uint32Array.from(TCP_DEFAULT_TIMEOUTS_S, (s) => s * 1000);
  if (tcpS > 0) t[TcpState.Established] = tcpS * 1000;
  if (tcpFinS > 0) t[TcpState.FinWait] = tcpFinS * 1000;
  return t;
}
