/**
 * DR, NAT and TUN end to end on the AF_XDP backend (2 workers): HTTP and UDP from the client through
 * the VIP, every real server gets its round-robin share, a capture on rs1 shows the mode's packet shape,
 * and stopping the director leaves no rules, routes, addresses or XDP program behind (body in dataplane-modes.ts).
 * TUN's real servers decapsulate with XDP.
 */
import { testModesOn } from './dataplane-modes.js';

testModesOn('afxdp', 'xdp');
