/**
 * `bfd_instance` blocks -> the BFD contract (src/bfd/types.ts), defaulted and checked as keepalived's
 * bfd_parser.c does: a block without neighbor_ip is dropped with an error, a source_ip of the other
 * family or a second session to the same neighbour is an error, max_hops above ttl is cut to ttl;
 * and the BFD_CHECK / FILE_CHECK checkers' references to those blocks.
 */
import { isIPv6 } from 'node:net';
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { posString } from './diagnostics.js';
import type { RawBlock } from './keywords/table.js';
import { at, fieldsOf } from './keywords/table.js';
import { bfdInstanceTable } from './keywords/bfd.js';
import type { BfdInstanceSpec } from '../bfd/types.js';
import type { HealthServiceSpec } from '../health/types.js';
import type { VrrpTrackFileSpec } from '../vrrp/types.js';

/** Builds the bfd_instance blocks. */
export function buildBfdInstances(raws: readonly RawBlock[], sink: DiagnosticSink): BfdInstanceSpec[] {
  const out: BfdInstanceSpec[] = [];
  for (const r of raws) {
    const name = r.args[0];
    if (!name) {
      sink.error(r.pos, 'missing-name', 'bfd_instance needs a name: bfd_instance NAME { neighbor_ip ADDRESS }; the block is skipped.');
      continue;
    }
    if (name.length > 31) {
      sink.error(r.pos, 'bad-value', `bfd_instance name '${name}' is longer than 31 characters (keepalived's limit); shorten it.`);
      continue;
    }
    if (out.some((b) => b.name === name)) {
      sink.error(r.pos, 'duplicate-name', `bfd_instance ${name} is defined twice; rename one.`);
      continue;
    }
    const neighborIp = fieldsOf(bfdInstanceTable, r).neighborIp;
    if (!neighborIp) {
      sink.error(r.pos, 'missing-value', `bfd_instance ${name} has no neighbor_ip; keepalived drops the block — add 'neighbor_ip ADDRESS'.`);
      continue;
    }
    const v6 = isIPv6(neighborIp);
    const sourceIp = fieldsOf(bfdInstanceTable, r).sourceIp;
    if (sourceIp && isIPv6(sourceIp) !== v6) {
      sink.error(
        at(r, 'sourceIp'),
        'bad-value',
        `bfd_instance ${name}: source_ip ${sourceIp} is not of neighbor_ip ${neighborIp}'s address family; use a source address of the same family.`,
      );
      continue;
    }
    const multihop = fieldsOf(bfdInstanceTable, r).multihop ?? false;
    if (r.fields.multihop !== undefined)
      sink.note(
        at(r, 'multihop'),
        'later-keepalived',
        `'multihop' is keepalived 2.3's (RFC 5883, UDP 4784); keepalived 2.2.7 ignores it as an unknown keyword and stays on 3784 — ulvs runs it as 2.3 does.`,
      );
    const dup = out.find((b) => b.neighborIp === neighborIp && b.multihop === multihop && b.sourceIp === sourceIp);
    if (dup) {
      sink.error(
        r.pos,
        'duplicate-value',
        `bfd_instance ${name} has the same neighbor_ip ${neighborIp} as bfd_instance ${dup.name}; keepalived refuses two sessions to one neighbour — remove one.`,
      );
      continue;
    }
    const ttl = fieldsOf(bfdInstanceTable, r).ttl ?? (v6 ? 64 : 255);
    let maxHops = fieldsOf(bfdInstanceTable, r).maxHops ?? 0;
    if (maxHops === -1) maxHops = 255;
    else if (maxHops > ttl) {
      sink.warn(at(r, 'maxHops'), 'bad-value', `bfd_instance ${name}: max_hops ${maxHops} exceeds ttl ${ttl}; set to ${ttl}, as keepalived does.`);
      maxHops = ttl;
    }
    const spec: BfdInstanceSpec = {
      name,
      neighborIp,
      minRxMs: fieldsOf(bfdInstanceTable, r).minRxMs ?? 10,
      minTxMs: fieldsOf(bfdInstanceTable, r).minTxMs ?? 10,
      idleTxMs: fieldsOf(bfdInstanceTable, r).idleTxMs ?? 1000,
      multiplier: fieldsOf(bfdInstanceTable, r).multiplier ?? 5,
      passive: fieldsOf(bfdInstanceTable, r).passive ?? false,
      ttl,
      maxHops,
      multihop,
      weight: fieldsOf(bfdInstanceTable, r).weight ?? 0,
      source: posString(r.pos),
    };
    if (sourceIp) spec.sourceIp = sourceIp;
    out.push(spec);
  }
  return out;
}

/**
 * Resolves BFD_CHECK names against the bfd_instance blocks and FILE_CHECK track_file names against the
 * track_file blocks (taking the block's file, and its weight unless the checker sets one); a checker
 * naming an unknown block is dropped with a warning, as keepalived's config error drops it.
 */
export function resolveEventCheckers(
  health: readonly HealthServiceSpec[],
  bfd: readonly BfdInstanceSpec[],
  files: readonly VrrpTrackFileSpec[],
  sink: DiagnosticSink,
): void {
  for (const rs of health.flatMap((h) => h.realServers)) {
    rs.checkers = rs.checkers.filter((c) => {
      const pos = posOf(c.where);
      if (c.type === 'BFD_CHECK') {
        if (bfd.some((b) => b.name === c.name)) return true;
        sink.warn(
          pos,
          'unknown-tracker',
          `BFD_CHECK names bfd_instance '${c.name}', which is not defined; keepalived drops the checker, as ulvs does — define it or fix the name.`,
        );
        return false;
      }
      if (c.type === 'FILE_CHECK') {
        const f = files.find((x) => x.name === c.trackFile);
        if (!f) {
          sink.warn(
            pos,
            'unknown-tracker',
            `FILE_CHECK names track_file '${c.trackFile}', which is not defined; keepalived drops the checker, as ulvs does — define it or fix the name.`,
          );
          return false;
        }
        c.path = f.path;
        if (f.init) c.init = f.init;
        if (c.weight === undefined) {
          c.weight = f.weight;
          c.reverse = !!f.reverse;
        }
      }
      return true;
    });
  }
}

function posOf(where: string | undefined): Pos {
  const m = /^(.*):(\d+)$/.exec(where ?? '');
  return m ? { file: m[1]!, line: Number(m[2]) } : { file: where ?? '?', line: 0 };
}
