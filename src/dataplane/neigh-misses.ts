/**
 * Next hops the pipeline could not transmit to because they have no neighbour entry (AF_PACKET): a
 * fixed-size record per worker, filled during a batch without allocation and drained by the worker
 * after it, which asks the control plane to resolve them (host/neighbours.ts triggers the kernel's own
 * ARP/ND). Duplicates within a batch are kept out; a full record drops further misses (they recur).
 */

/** Misses remembered per batch. */
export const NEIGH_MISS_SLOTS = 16;

/** The unresolved next hops of one batch. */
export class NeighbourMisses {
  count = 0;
  readonly v6 = new Uint8Array(NEIGH_MISS_SLOTS);
  /** Address words, 4 per slot (IPv4 in word 0). */
  readonly words = new Int32Array(NEIGH_MISS_SLOTS * 4);

  /** Records next hop `addr` (4 words) unless it is already recorded or the record is full. */
  add(v6: boolean, addr: Int32Array): void {
    const w = this.words;
    const n = v6 ? 4 : 1;
    for (let s = 0; s < this.count; s++) {
      if ((this.v6[s] === 1) !== v6) continue;
      let same = true;
      for (let j = 0; j < n && same; j++) same = w[s * 4 + j] === addr[j];
      if (same) return;
    }
    if (this.count === NEIGH_MISS_SLOTS) return;
    const s = this.count++;
    this.v6[s] = v6 ? 1 : 0;
    for (let j = 0; j < 4; j++) w[s * 4 + j] = j < n ? addr[j]! : 0;
  }

  /** Forgets every miss (after the worker read them). */
  clear(): void {
    this.count = 0;
  }
}
