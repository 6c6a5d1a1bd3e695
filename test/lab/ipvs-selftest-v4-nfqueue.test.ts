/**
 * The kernel's IPVS selftest (ipvs.sh: DR, NAT, TUN) ported to ulvs, IPv4, on the NFQUEUE backend (body in ipvs-selftest-modes.ts).
 */
import { selftestModes } from './ipvs-selftest-modes.js';

selftestModes('nfqueue', 4);
