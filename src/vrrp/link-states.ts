// The up/down state of the interfaces VRRP instances run on and track, as the last poll read it.

/** The last state read of each interface, and the poll that re-reads them and logs what changed. */
export class LinkStates {
  private readonly state = new Map<string, boolean>();
  /** Interfaces whose last state read failed (logged once until it works again). */
  private readonly failing = new Set<string>();

  constructor(
    private readonly readOperUp: (name: string) => Promise<boolean | undefined>,
    private readonly log: (msg: string) => void,
  ) {}

  /** The last state read of interface `name`; undefined until a read found it. */
  get(name: string): boolean | undefined {
    return this.state.get(name);
  }

  /** Re-reads every named interface; true when one of them went up or down. */
  async poll(names: Iterable<string>): Promise<boolean> {
    let changed = false;
    for (const n of names) {
      let up: boolean | undefined;
      try {
        up = await this.readOperUp(n);
      } catch (e) {
        // A failed read (e.g. out of file descriptors) says nothing about the link: keep its last state.
        if (!this.failing.has(n))
          this.log(`cannot read the state of interface ${n} (${(e as Error).message}); keeping it ${this.state.get(n) === false ? 'down' : 'up'}`);
        this.failing.add(n);
        continue;
      }
      if (this.failing.delete(n)) this.log(`interface ${n} state readable again`);
      const v = up ?? false;
      if (up === undefined && !this.state.has(n)) continue;
      if (this.state.get(n) !== v) {
        this.state.set(n, v);
        changed = true;
        this.log(`interface ${n} ${v ? 'up' : 'down'}`);
      }
    }
    return changed;
  }
}
