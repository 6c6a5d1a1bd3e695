// Typed field access (keywords/table.ts fieldsOf): each table's field names and value types come from its
// keywords, so a misspelt field is a type error (the @ts-expect-error lines fail `tsc` if a table's field
// names ever widen to string), and fieldsOf reads what applyBlock stored.
import t from 'tap';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { bfdInstanceTable } from '../../src/config/keywords/bfd.js';
import { bgpNeighborTable, bgpTable } from '../../src/config/keywords/bgp.js';
import {
  bfdCheckTable,
  dnsCheckTable,
  fileCheckTable,
  httpTable,
  miscCheckTable,
  smtpCheckTable,
  tcpCheckTable,
  udpCheckTable,
  urlTable,
} from '../../src/config/keywords/checkers.js';
import { globalDefsTable, rootTable } from '../../src/config/keywords/root.js';
import { applyBlock, fieldsOf } from '../../src/config/keywords/table.js';
import { trackFileTable, trackProcessTable } from '../../src/config/keywords/trackers.js';
import { realServerTable, virtualServerTable } from '../../src/config/keywords/virtual-server.js';
import { vrrpInstanceTable, vrrpScriptTable, vrrpSyncGroupTable } from '../../src/config/keywords/vrrp.js';
import type { ConfNode } from '../../src/config/tree.js';

const node = (keyword: string, ...args: string[]): ConfNode => ({ keyword, args, rawArgs: args.join(' '), file: 'k.conf', line: 1 }) as ConfNode;

t.test('a misspelt field is a type error in every table', async (t) => {
  const none = undefined;
  // @ts-expect-error misspelt
  void fieldsOf(bfdInstanceTable, none).neighbourIp;
  // @ts-expect-error misspelt
  void fieldsOf(bgpTable, none).localASN;
  // @ts-expect-error misspelt
  void fieldsOf(bgpNeighborTable, none).remoteAS;
  // @ts-expect-error misspelt
  void fieldsOf(urlTable, none).statusCode;
  // @ts-expect-error misspelt
  void fieldsOf(httpTable, none).url;
  // @ts-expect-error misspelt
  void fieldsOf(tcpCheckTable, none).connectport;
  // @ts-expect-error misspelt
  void fieldsOf(miscCheckTable, none).miscpath;
  // @ts-expect-error misspelt
  void fieldsOf(dnsCheckTable, none).name;
  // @ts-expect-error misspelt
  void fieldsOf(udpCheckTable, none).requireReplies;
  // @ts-expect-error misspelt
  void fieldsOf(smtpCheckTable, none).host;
  // @ts-expect-error misspelt
  void fieldsOf(bfdCheckTable, none).name;
  // @ts-expect-error misspelt
  void fieldsOf(fileCheckTable, none).weight;
  // @ts-expect-error misspelt
  void fieldsOf(globalDefsTable, none).routerID;
  // @ts-expect-error misspelt
  void fieldsOf(rootTable, none).virtualServer;
  // @ts-expect-error misspelt
  void fieldsOf(trackFileTable, none).weights;
  // @ts-expect-error misspelt
  void fieldsOf(trackProcessTable, none).quorumMaximum;
  // @ts-expect-error misspelt
  void fieldsOf(realServerTable, none).weights;
  // @ts-expect-error misspelt
  void fieldsOf(virtualServerTable, none).lbAlgo;
  // @ts-expect-error misspelt
  void fieldsOf(vrrpInstanceTable, none).virtualRouterId;
  // @ts-expect-error misspelt
  void fieldsOf(vrrpScriptTable, none).scripts;
  // @ts-expect-error misspelt
  void fieldsOf(vrrpSyncGroupTable, none).groups;
  t.pass('checked by tsc');
});

t.test('fieldsOf reads what applyBlock stored, typed by kind', async (t) => {
  const sink = new DiagnosticSink();
  const raw = applyBlock([node('neighbor_ip', '192.0.2.7'), node('multiplier', '3'), node('passive')], bfdInstanceTable, sink, ['B1'], {
    file: 'k.conf',
    line: 1,
  });
  const f = fieldsOf(bfdInstanceTable, raw);
  const ip: string | undefined = f.neighborIp;
  const mult: number | undefined = f.multiplier;
  const passive: boolean | undefined = f.passive;
  t.same([ip, mult, passive, f.ttl], ['192.0.2.7', 3, true, undefined]);
  t.same(sink.list ?? [], [], 'no diagnostics');
  t.same(fieldsOf(bfdInstanceTable, undefined), {}, 'no block: no fields');
});
