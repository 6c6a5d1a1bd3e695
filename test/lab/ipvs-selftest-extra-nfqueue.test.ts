/**
 * ipvs.sh-style extra cases (UDP, wrr, persistence, -L -n -c, -C) on the NFQUEUE backend (body in ipvs-selftest-extra.ts).
 */
import { selftestExtras } from './ipvs-selftest-extra.js';

selftestExtras('nfqueue');
