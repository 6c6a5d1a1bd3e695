/**
 * `ulvsadm`: ipvsadm 1.31's command line against the running ulvs daemon of this network namespace
 * (its control socket), with ipvsadm's output formats, messages and exit codes. Parsing is the rule
 * model's (ipvs/command.ts); the daemon applies rule commands with ipvs/rules.ts.
 */
import { ApiCallError, ApiConnectError, ControlClient } from '../api/client.js';
import type { OpResult } from '../api/protocol.js';
import { parseIpvsadmArgs } from '../ipvs/command.js';
import { isRuleCommand, type IpvsCommand, type RuleCommand } from '../ipvs/command-types.js';
import { IpvsadmError, tryHelp } from '../ipvs/errors.js';
import { sameServiceKey } from '../ipvs/rules.js';
import { splitWords } from '../ipvs/rules-text.js';
import { defaultSocketPath } from '../control/runtime-paths.js';
import type { ConnectionEntry, IpvsListing } from '../control/types.js';
import { listAllText, listDaemonText, listServiceText, listTimeoutText, saveText } from './ulvsadm/list-services.js';
import { listConnectionsText } from './ulvsadm/list-connections.js';
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

/** ipvsadm prints its messages with a newline; some already end in one ("-6 used before -f\n"). */
function errorText(e: IpvsadmError): string {
  return e.message + '\n';
}

/** Runs one parsed command over `client`; returns ipvsadm's exit code. */
async function runCommand(c: IpvsCommand, client: ControlClient, io: UlvsadmIo, readingStdin: boolean): Promise<number> {
  if (isRuleCommand(c)) {
    try {
      await client.call('apply', { op: c });
      return 0;
    } catch (e) {
      if (e instanceof ApiCallError && e.apiCode === 'ipvs') {
        io.stderr(e.message + '\n');
        return 255;
      }
      throw e;
    }
  }
  switch (c.kind) {
    case 'list': {
      const f = c.format;
      if (f.connection) {
        io.stdout(listConnectionsText(await client.call<ConnectionEntry[]>('connections'), f));
        return 0;
      }
      const l = await client.call<IpvsListing>('list');
      if (c.key) {
        const se = l.services.find((s) => sameServiceKey(s.spec.key, c.key!));
        if (!se) {
          io.stderr('No such service\n');
          return 1;
        }
        io.stdout(listServiceText(se, f));
      } else if (f.timeout) io.stdout(listTimeoutText(l));
      else if (f.daemon) io.stdout(listDaemonText(l));
      else io.stdout(listAllText(l, f));
      return 0;
    }
    case 'save':
      io.stdout(saveText(await client.call<IpvsListing>('list'), c.numeric));
      return 0;
    case 'start-daemon':
    case 'stop-daemon':
      try {
        await client.call(c.kind === 'start-daemon' ? 'sync-start' : 'sync-stop', { state: c.state, options: c.options });
        return 0;
      } catch (e) {
        if (e instanceof ApiCallError && e.apiCode === 'ipvs') {
          io.stderr(e.message + '\n');
          return 255;
        }
        throw e;
      }
    case 'restore':
      if (readingStdin) tryHelp(PROG);
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
  let batch: RuleCommand[] = [];
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const { results } = await client.call<{ results: OpResult[] }>('apply', { ops: batch });
    batch = [];
    for (const r of results) {
      if (r.ok) result = 0;
      else {
        io.stderr(r.message + '\n');
        result = 255;
      }
    }
  };
  for (const raw of (await io.readStdin()).split('\n')) {
    const words = splitWords(raw.trim());
    if (words.length === 0 || words[0]!.startsWith('#')) continue;
    if (words[0] === 'ipvsadm' || words[0] === PROG) words.shift();
    if (words.length === 0) continue;
    let cmd: IpvsCommand;
    try {
      cmd = parseIpvsadmArgs(words, PROG);
    } catch (e) {
      await flush();
      throw e;
    }
    if (isRuleCommand(cmd)) {
      batch.push(cmd);
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
  let cmd: IpvsCommand;
  try {
    cmd = parseIpvsadmArgs(argv, PROG);
  } catch (e) {
    if (e instanceof IpvsadmError) {
      io.stderr(errorText(e));
      return e.exitCode;
    }
    throw e;
  }
  if (cmd.kind === 'help') {
    io.stdout(usageText(PROG));
    return 0;
  }
  if (cmd.kind === 'version') {
    io.stdout(VERSION_LINE);
    return 0;
  }
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
    if (e instanceof IpvsadmError) {
      io.stderr(errorText(e));
      return e.exitCode;
    }
    if (e instanceof ApiCallError || e instanceof ApiConnectError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    client.close();
  }
}
