/**
 * ipvs.sh-style extra cases (UDP, wrr, persistence, -L -n -c, -C) on the AFPACKET backend (body in ipvs-selftest-extra.ts).
 */
import { selftestExtras } from './ipvs-selftest-extra.js';

selftestExtras('afpacket');
