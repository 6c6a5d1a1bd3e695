/**
 * The BFD session state machine of RFC 5880 asynchronous mode, pure: no sockets, no timers, the
 * caller passes the time. receive() applies §6.8.6 (state transitions, poll/final, the remote's
 * intervals), expire() the detection timer (§6.8.4), next() builds the packet to send (§6.8.7).
 * Intervals kept in microseconds as on the wire; the shell (daemon.ts) owns the clock and the socket.
 */
import { BfdDiag, BfdState, type BfdControl } from './packet.js';

/** The configured timers of a session (keepalived's bfd_instance, in ms). */
export interface BfdTimers {
  minRxMs: number;
  minTxMs: number;
  /** Transmit interval while the session is not Up (keepalived's idle_tx; RFC 5880 §6.8.3 asks ≥ 1 s). */
  idleTxMs: number;
  multiplier: number;
  /** Passive role (RFC 5880 §6.1): send nothing until the remote has been heard. */
  passive: boolean;
}

/** What a received packet or an expiry did: whether the state changed, and whether to send at once. */
export interface BfdStepResult {
  stateChanged: boolean;
  /** A Final must go out now (the remote polled), or the state changed. */
  sendNow: boolean;
}

/** One BFD session (RFC 5880 §6.8.1 state variables). */
export class BfdSession {
  state: BfdState = BfdState.Down;
  remoteState: BfdState = BfdState.Down;
  remoteDisc = 0;
  diag: number = BfdDiag.None;
  /** bfd.RemoteMinRxInterval: starts at 1 µs (§6.8.1). */
  remoteMinRxUs = 1;
  remoteDesiredMinTxUs = 0;
  remoteMult = 0;
  /** A Poll Sequence we started is waiting for its Final (§6.5). */
  polling = false;
  private finalDue = false;
  /** When the detection time runs out (ms on the caller's clock); undefined while nothing is heard. */
  detectDeadlineMs?: number;

  constructor(
    readonly localDisc: number,
    readonly timers: BfdTimers,
  ) {}

  /** bfd.DesiredMinTxInterval in µs: idle_tx unless Up (§6.8.3). */
  desiredMinTxUs(): number {
    return (this.state === BfdState.Up ? this.timers.minTxMs : Math.max(1000, this.timers.idleTxMs)) * 1000;
  }

  /** The interval between transmissions in ms (§6.8.7), or 0 when nothing may be sent (passive, or remote asks for none). */
  txIntervalMs(): number {
    if (this.timers.passive && this.remoteDisc === 0) return 0;
    if (this.remoteMinRxUs === 0) return 0;
    return Math.max(this.desiredMinTxUs(), this.remoteMinRxUs) / 1000;
  }

  /** Asynchronous-mode detection time in ms (§6.8.4): remote multiplier × agreed interval. */
  detectTimeMs(): number {
    return (this.remoteMult * Math.max(this.timers.minRxMs * 1000, this.remoteDesiredMinTxUs)) / 1000;
  }

  /** Applies one received, decoded packet already matched to this session (§6.8.6). */
  receive(p: BfdControl, nowMs: number): BfdStepResult {
    const before = this.state;
    if (p.final && this.polling) this.polling = false;
    this.remoteDisc = p.myDisc;
    this.remoteState = p.state;
    this.remoteMinRxUs = p.requiredMinRxUs;
    this.remoteDesiredMinTxUs = p.desiredMinTxUs;
    this.remoteMult = p.detectMult;
    if (p.poll) this.finalDue = true;
    if (this.state !== BfdState.AdminDown) {
      if (p.state === BfdState.AdminDown) {
        if (this.state !== BfdState.Down) this.goDown(BfdDiag.NeighborDown);
      } else if (this.state === BfdState.Down) {
        if (p.state === BfdState.Down) this.state = BfdState.Init;
        else if (p.state === BfdState.Init) this.state = BfdState.Up;
      } else if (this.state === BfdState.Init) {
        if (p.state === BfdState.Init || p.state === BfdState.Up) this.state = BfdState.Up;
      } else if (p.state === BfdState.Down) this.goDown(BfdDiag.NeighborDown);
    }
    this.detectDeadlineMs = nowMs + this.detectTimeMs();
    const stateChanged = before !== this.state;
    if (stateChanged && this.state === BfdState.Up) {
      this.diag = BfdDiag.None;
      this.polling = true;
    }
    return { stateChanged, sendNow: stateChanged || this.finalDue };
  }

  /** Runs the detection timer (§6.8.4): past the deadline, an Init/Up session goes Down and the remote is forgotten. */
  expire(nowMs: number): BfdStepResult {
    if (this.detectDeadlineMs === undefined || nowMs < this.detectDeadlineMs) return { stateChanged: false, sendNow: false };
    const before = this.state;
    this.detectDeadlineMs = undefined;
    if (this.state === BfdState.Init || this.state === BfdState.Up) this.goDown(BfdDiag.DetectExpired);
    this.remoteDisc = 0;
    this.remoteState = BfdState.Down;
    this.remoteMinRxUs = 1;
    this.remoteDesiredMinTxUs = 0;
    const stateChanged = before !== this.state;
    return { stateChanged, sendNow: stateChanged };
  }

  /** Administratively disables (or re-enables) the session (§6.8.16). */
  setAdminDown(down: boolean): void {
    if (down) {
      this.state = BfdState.AdminDown;
      this.diag = BfdDiag.AdminDown;
      this.polling = false;
    } else if (this.state === BfdState.AdminDown) {
      this.state = BfdState.Down;
      this.diag = BfdDiag.None;
    }
  }

  /** The next Control packet (§6.8.7): Final if the remote polled (and then no Poll), else Poll while a sequence runs. */
  next(): BfdControl {
    const final = this.finalDue;
    this.finalDue = false;
    return {
      diag: this.diag,
      state: this.state,
      poll: this.polling && !final,
      final,
      cpi: false,
      demand: false,
      detectMult: this.timers.multiplier,
      myDisc: this.localDisc,
      yourDisc: this.remoteDisc,
      desiredMinTxUs: this.desiredMinTxUs(),
      requiredMinRxUs: this.timers.minRxMs * 1000,
      requiredMinEchoRxUs: 0,
    };
  }

  private goDown(diag: number): void {
    this.state = BfdState.Down;
    this.diag = diag;
    this.polling = false;
  }
}
