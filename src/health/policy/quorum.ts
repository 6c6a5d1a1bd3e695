/**
 * Quorum with hysteresis of a virtual service (keepalived ipwrapper.c update_quorum_state): pure.
 * Quorum is gained when the alive weight reaches quorum + hysteresis and lost when it drops below
 * quorum - hysteresis (or to 0).
 */

/** Inputs of one quorum evaluation. */
export interface QuorumInput {
  quorum: number;
  hysteresis: number;
  /** Current quorum state. */
  up: boolean;
  /** Sum of the effective weights of alive real servers. */
  aliveWeight: number;
}

/** The quorum state at start-up (keepalived set_quorum_states): up when alive weight >= quorum + hysteresis. */
export function initialQuorumUp(quorum: number, hysteresis: number, aliveWeight: number): boolean {
  return aliveWeight >= quorum + hysteresis;
}

/** The threshold compared with the alive weight in the current state. */
export function quorumThreshold(q: Pick<QuorumInput, 'quorum' | 'hysteresis' | 'up'>): number {
  return q.quorum + (q.up ? -1 : 1) * q.hysteresis;
}

/** Returns 'gained', 'lost' or null for one evaluation. */
export function evaluateQuorum(q: QuorumInput): 'gained' | 'lost' | null {
  const threshold = quorumThreshold(q);
  if (!q.up && q.aliveWeight >= threshold) return 'gained';
  if (q.up && (q.aliveWeight === 0 || q.aliveWeight < threshold)) return 'lost';
  return null;
}
