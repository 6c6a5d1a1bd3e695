/**
 * A plain-array DestView for tests, tools and benchmarks. Index 0 is the kernel's list head:
 * `add()` pushes to the front as ip_vs_ctl.c does, so the order matches the kernel's walk.
 * It also tracks last_weight (latest non-zero weight) as __ip_vs_update_dest does, for mh.
 */
import type { DestView } from './types.js';
import { addrWords } from './addr-words.js';

/** One destination of an ArrayDestView. */
export interface ArrayDest {
  /** Address text (IPv4 or IPv6); also used as the dest's name in tests. */
  address: string;
  port: number;
  weight: number;
  active: number;
  inactive: number;
  overloaded: boolean;
  available: boolean;
  lastWeight: number;
  words: Uint32Array;
}

/** Fields accepted when adding or editing a dest. */
export type ArrayDestInit = { address: string; port?: number; weight?: number } & Partial<Pick<ArrayDest, 'active' | 'inactive' | 'overloaded' | 'available'>>;

/** A mutable, array-backed DestView in kernel list order. */
export class ArrayDestView implements DestView {
  readonly dests: ArrayDest[] = [];

  /** Builds a view whose list order is exactly `inOrder` (index 0 first). */
  static inListOrder(inOrder: ArrayDestInit[]): ArrayDestView {
    const v = new ArrayDestView();
    for (let i = inOrder.length - 1; i >= 0; i--) v.add(inOrder[i]!);
    return v;
  }

  /** Builds a view by adding dests in ipvsadm command order (so the last one ends up at index 0). */
  static addedInOrder(added: ArrayDestInit[]): ArrayDestView {
    const v = new ArrayDestView();
    for (const d of added) v.add(d);
    return v;
  }

  get count(): number {
    return this.dests.length;
  }

  /** Adds at the list head (index 0), like `ipvsadm -a`; returns 0. */
  add(init: ArrayDestInit): number {
    const weight = init.weight ?? 1;
    this.dests.unshift({
      address: init.address,
      port: init.port ?? 0,
      weight,
      active: init.active ?? 0,
      inactive: init.inactive ?? 0,
      overloaded: init.overloaded ?? false,
      available: init.available ?? true,
      lastWeight: weight,
      words: addrWords(init.address),
    });
    return 0;
  }

  /** Removes the dest at `index` (ipvsadm -d). */
  remove(index: number): void {
    this.dests.splice(index, 1);
  }

  /** Index of the dest with this address (and port, when given), or -1. */
  indexOf(address: string, port?: number): number {
    return this.dests.findIndex((d) => d.address === address && (port === undefined || d.port === port));
  }

  /** Sets a dest's weight as ipvsadm -e does, keeping last_weight = latest non-zero weight. */
  setWeight(index: number, weight: number): void {
    const d = this.dests[index]!;
    d.weight = weight;
    if (weight !== 0) d.lastWeight = weight;
  }

  /** Names (addresses) in list order, for assertions. */
  names(): string[] {
    return this.dests.map((d) => d.address);
  }

  weight(i: number): number {
    return this.dests[i]!.weight;
  }
  activeConns(i: number): number {
    return this.dests[i]!.active;
  }
  inactiveConns(i: number): number {
    return this.dests[i]!.inactive;
  }
  overloaded(i: number): boolean {
    return this.dests[i]!.overloaded;
  }
  available(i: number): boolean {
    return this.dests[i]!.available;
  }
  addr(i: number): Uint32Array {
    return this.dests[i]!.words;
  }
  port(i: number): number {
    return this.dests[i]!.port;
  }
  lastWeight(i: number): number {
    return this.dests[i]!.lastWeight;
  }
}
