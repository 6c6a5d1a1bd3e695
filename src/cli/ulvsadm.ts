/**
 * `ulvsadm`: ipvsadm 1.31's command line against the running ulvs daemon of this network namespace
 * (its control socket), with ipvsadm's output formats, messages and exit codes.
 */
import { ApiCallError, ApiConnectError, ControlClient } from '../api/client.js';
import type { OpResult } from '../api/protocol.js';
import type { RuleOp } from '../control/rule-table.js';
import { defaultSocketPath } from '../control/runtime-paths.js';
import type { ConnectionEntry, IpvsListing } from '../control/types.js';
import { compareServices, listAllText, listDaemonText, listServiceText, listTimeoutText } from './ulvsadm/list-services.js';
import { listConnectionsText } from './ulvsadm/list-connections.js';
import { listFormat } from './ulvsadm/format.js';
import { IpvsadmExit, parseIpvsadm, type IpvsadmCommand } from './ulvsadm/parse.js';
import { usageText, VERSION_LINE } from './ulvsadm/usage.js';

/** Where ulvsadm reads and writes (tests pass their own). */
export interface UlvsadmIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whole standard input, for -R. */
  readStdin: () => Promise<string>;
  socketPath: string;
}

function defaultIo(): UlvsadmIo {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    socketPath: defaultSocketPath(),
  };
}

const PROG = 'ulvsadm';
/** Rule changes per -R request. */
const RESTORE_BATCH = 500;

/** Runs one parsed command over `client`; returns ipvsadm's exit code. */
async function runCommand(c: IpvsadmCommand, client: ControlClient, io: UlvsadmIo, readingStdin: boolean): Promise<number> {
  switch (c.cmd) {
    case 'list': {
      if (c.connection) {
        io.stdout(listConnectionsText(await client.call<ConnectionEntry[]>('connections'), c.format));
        return 0;
      }
      const l = await client.call<IpvsListing>('list');
      if (c.service) {
        const se = l.services.find((s) => compareServices(s.spec.key, c.service!) === 0 && s.spec.key.kind === c.service!.kind);
        if (!se) { io.stderr('No such service\n'); return 1; }
        io.stdout(listServiceText(se, c.format));
      } else if (c.timeout) io.stdout(listTimeoutText(l));
      else if (c.daemon) io.stdout(listDaemonText(l));
      else io.stdout(listAllText(l, c.format));
      return 0;
    }
    case 'save':
      io.stdout(listAllText(await client.call<IpvsListing>('list'), c.format));
      return 0;
    case 'op':
      try {
        await client.call('apply', { op: c.op });
        return 0;
      } catch (e) {
        if (e instanceof ApiCallError && e.apiCode === 'ipvs') { io.stderr(e.message + '\n'); return 255; }
        throw e;
      }
    case 'sync-daemon':
      io.stderr(c.start ? 'Protocol not available: ulvs has no connection synchronization daemon\n' : 'No daemon is running\n');
      return 255;
    case 'restore':
      if (readingStdin) throw new IpvsadmExit(`Try \`${PROG} -h' or '${PROG} --help' for more information.\n`, 255);
      return restore(client, io);
    default:
      return 0;
  }
}

/**
 * -R: one ipvsadm command per stdin line (a leading "ipvsadm" is allowed). Consecutive rule changes go
 * to the daemon as one batch (published once); a kernel-style error is printed and the next line still
 * runs; a line that does not parse stops the restore (after the lines before it) with exit 2, as in
 * ipvsadm. The exit code is the last line's result.
 */
async function restore(client: ControlClient, io: UlvsadmIo): Promise<number> {
  let result = 0;
  let batch: RuleOp[] = [];
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const { results } = await client.call<{ results: OpResult[] }>('apply', { ops: batch });
    batch = [];
    for (const r of results) {
      if (r.ok) result = 0;
      else { io.stderr(r.message + '\n'); result = 255; }
    }
  };
  for (const raw of (await io.readStdin()).split('\n')) {
    const words = raw.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0 || words[0].startsWith('#')) continue;
    if (words[0] === 'ipvsadm' || words[0] === PROG) words.shift();
    if (words.length === 0) continue;
    let cmd: IpvsadmCommand;
    try {
      cmd = parseIpvsadm(words, PROG);
    } catch (e) {
      await flush();
      throw e;
    }
    if (cmd.cmd === 'op') {
      batch.push(cmd.op);
      // Keep each request line well under the daemon's 1 MiB limit.
      if (batch.length >= RESTORE_BATCH) await flush();
      continue;
    }
    await flush();
    result = await runCommand(cmd, client, io, true);
  }
  await flush();
  return result;
}

/** Runs ulvsadm with argv (without node and script); resolves to ipvsadm's exit code. */
export async function main(argv: string[], ioIn: Partial<UlvsadmIo> = {}): Promise<number> {
  const io = { ...defaultIo(), ...ioIn };
  let cmd: IpvsadmCommand;
  try {
    cmd = argv.length === 0 ? { cmd: 'list', format: listFormat(), connection: false, timeout: false, daemon: false } : parseIpvsadm(argv, PROG);
  } catch (e) {
    if (e instanceof IpvsadmExit) { io.stderr(e.message); return e.exitCode; }
    throw e;
  }
  if (cmd.cmd === 'help') { io.stdout(usageText(PROG)); return 0; }
  if (cmd.cmd === 'version') { io.stdout(VERSION_LINE); return 0; }
  let client: ControlClient;
  try {
    client = await ControlClient.connect(io.socketPath);
  } catch (e) {
    if (e instanceof ApiConnectError) {
      io.stderr(`Can't initialize ipvs: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    return await runCommand(cmd, client, io, false);
  } catch (e) {
    if (e instanceof IpvsadmExit) { io.stderr(e.message); return e.exitCode; }
    if (e instanceof ApiCallError || e instanceof ApiConnectError) { io.stderr(`${e.message}\n`); return 1; }
    throw e;
  } finally {
    client.close();
  }
}
