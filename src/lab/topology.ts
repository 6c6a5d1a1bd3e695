/**
 * The lab's default topology as plain data: which network namespaces exist, how they are wired and
 * which addresses they hold. Addresses come from 198.18.0.0/15 (RFC 2544, reserved for benchmarking
 * networks) and fd75:6c76::/48 (a ULA prefix spelling "ulv"), so they never collide with a host's own.
 *
 *   client(eth0) --- (eth0)router(eth1) --- [ lan bridge ] --- lb1, lb2, rs1, rs2, rs3 (eth0 each)
 *   wan 198.18.1.0/24                        lan 198.18.0.0/24
 */

/** A host of the lab (one network namespace). */
export interface LabNode {
  /** Short name: client, router, lb1, lb2, rs1, rs2, rs3. */
  name: string;
  role: 'client' | 'router' | 'director' | 'realserver';
  /** Interfaces: name inside the namespace -> IPv4/prefix and IPv6/prefix. */
  ifaces: Array<{ name: string; segment: 'lan' | 'wan'; v4: string; v6: string }>;
  /** Default gateway (v4, v6), if any. */
  gateway?: { v4: string; v6: string };
}

/** Addresses every lab shares (each lab lives in its own namespaces, so labs never clash). */
export const LAB_ADDR = {
  lanPrefix4: '198.18.0.0/24',
  wanPrefix4: '198.18.1.0/24',
  lanPrefix6: 'fd75:6c76::/64',
  wanPrefix6: 'fd75:6c76:1::/64',
  /** The virtual service address clients use. */
  vip4: '198.18.0.100',
  vip6: 'fd75:6c76::100',
  /** The directors' shared inner address: real servers' gateway in NAT mode (seed 001's VI_2). */
  natGateway4: '198.18.0.254',
  natGateway6: 'fd75:6c76::254',
  router4: '198.18.0.1',
  router6: 'fd75:6c76::1',
  client4: '198.18.1.2',
  client6: 'fd75:6c76:1::2',
} as const;

/** HTTP port each real server listens on; it answers with its own name. */
export const LAB_HTTP_PORT = 80;
/** UDP port each real server answers on with its own name. */
export const LAB_UDP_PORT = 5300;

function lan(host: number): { name: string; segment: 'lan'; v4: string; v6: string } {
  return { name: 'eth0', segment: 'lan', v4: `198.18.0.${host}/24`, v6: `fd75:6c76::${host}/64` };
}

/** The default topology: client, router, two directors (or `directors`, lb1..lbN at .11..), three real servers. */
export function defaultTopology(realServers = 3, directors = 2): LabNode[] {
  const nodes: LabNode[] = [
    {
      name: 'client',
      role: 'client',
      ifaces: [{ name: 'eth0', segment: 'wan', v4: '198.18.1.2/24', v6: 'fd75:6c76:1::2/64' }],
      gateway: { v4: '198.18.1.1', v6: 'fd75:6c76:1::1' },
    },
    {
      name: 'router',
      role: 'router',
      ifaces: [
        { name: 'eth0', segment: 'wan', v4: '198.18.1.1/24', v6: 'fd75:6c76:1::1/64' },
        { ...lan(1), name: 'eth1' },
      ],
    },
  ];
  for (let i = 1; i <= directors; i++) {
    nodes.push({ name: `lb${i}`, role: 'director', ifaces: [lan(10 + i)], gateway: { v4: LAB_ADDR.router4, v6: LAB_ADDR.router6 } });
  }
  for (let i = 1; i <= realServers; i++) {
    nodes.push({ name: `rs${i}`, role: 'realserver', ifaces: [lan(20 + i)], gateway: { v4: LAB_ADDR.router4, v6: LAB_ADDR.router6 } });
  }
  return nodes;
}

/** The IPv4 address (without prefix) of a node's first interface. */
export function addr4(node: LabNode): string {
  return node.ifaces[node.ifaces.length - 1].v4.split('/')[0];
}

/** The IPv6 address (without prefix) of a node's LAN-most interface. */
export function addr6(node: LabNode): string {
  return node.ifaces[node.ifaces.length - 1].v6.split('/')[0];
}
