/**
 * The kernel's IPVS selftest (ipvs.sh: DR, NAT, TUN) ported to ulvs, IPv4, on the AF_XDP backend (body in ipvs-selftest-modes.ts).
 */
import { selftestModes } from './ipvs-selftest-modes.js';

selftestModes('afxdp', 4);
