/**
 * The probe for each checker type: the single place the manager looks them up.
 */
import type { CheckerType } from '../types.js';
import { probeBfd } from './check-bfd.js';
import { probeDns } from './check-dns.js';
import { probeFile } from './check-file.js';
import { probeHttp } from './check-http.js';
import { probeMisc } from './check-misc.js';
import { probePing } from './check-ping.js';
import { probeSmtp } from './check-smtp.js';
import { probeTcp } from './check-tcp.js';
import { probeUdp } from './check-udp.js';
import type { Probe } from './outcome.js';

/** Probe function per keepalived checker keyword. */
export const PROBES: Readonly<Record<CheckerType, Probe>> = Object.freeze({
  TCP_CHECK: probeTcp,
  HTTP_GET: probeHttp,
  SSL_GET: probeHttp,
  MISC_CHECK: probeMisc,
  UDP_CHECK: probeUdp,
  DNS_CHECK: probeDns,
  PING_CHECK: probePing,
  SMTP_CHECK: probeSmtp,
  BFD_CHECK: probeBfd,
  FILE_CHECK: probeFile,
});
