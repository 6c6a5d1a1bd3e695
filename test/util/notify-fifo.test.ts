// The notify FIFOs: created when missing (and removed at close), the *_script started with the FIFO's
// path as its last argument, lines routed to notify_fifo + vrrp_/lvs_notify_fifo in keepalived's format.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NotifyFifos, fifoRsLine, fifoVrrpLine, fifoVsLine } from '../../src/util/notify-fifo.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-fifo-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test("line formats are keepalived's", async (t) => {
  t.equal(fifoVrrpLine('INSTANCE', 'VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
  t.equal(fifoVsLine({ address: '10.0.0.1', protocol: 'tcp', port: 80 }, true), 'VS [10.0.0.1]:tcp:80 UP\n');
  t.equal(fifoVsLine({ fwmark: 7 }, false), 'VS FWM 7 DOWN\n');
  t.equal(fifoRsLine({ address: '2001:db8::2', port: 8080 }, { group: 'web', port: 80 }, 'udp', false), 'RS [2001:db8::2]:udp:8080 [web]:80 DOWN\n');
});

t.test('scripts read the FIFOs; lines go where keepalived sends them', async (t) => {
  const f = new NotifyFifos();
  const logs: string[] = [];
  f.log = (m) => logs.push(m);
  const reader = (name: string): { path: string; out: string; script: string[] } => {
    const out = path.join(dir, `${name}.out`);
    return { path: path.join(dir, `${name}.fifo`), out, script: ['/bin/sh', '-c', `exec cat "$1" > ${out}`, 'sh'] };
  };
  const all = reader('all');
  const lvs = reader('lvs');
  f.configure({ all: { path: all.path, script: all.script }, lvs: { path: lvs.path, script: lvs.script } });
  t.ok(existsSync(all.path) && existsSync(lvs.path), 'FIFOs created');
  t.ok(f.hasVrrp, 'notify_fifo takes VRRP lines');
  f.vrrp(fifoVrrpLine('INSTANCE', 'VI_1', 'BACKUP', 90));
  f.lvs(fifoVsLine({ address: '10.0.0.1', protocol: 'tcp', port: 80 }, false));
  const read = (p: string): string => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const until = async (pred: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
    return pred();
  };
  t.ok(await until(() => read(all.out).split('\n').length >= 3), 'notify_fifo got both lines');
  t.equal(read(all.out), 'INSTANCE "VI_1" BACKUP 90\nVS [10.0.0.1]:tcp:80 DOWN\n');
  t.ok(await until(() => read(lvs.out) !== ''), 'lvs_notify_fifo got its line');
  t.equal(read(lvs.out), 'VS [10.0.0.1]:tcp:80 DOWN\n', 'and not the VRRP one');
  f.configure({ all: { path: all.path, script: all.script } });
  t.notOk(existsSync(lvs.path), 'a FIFO dropped from the config is removed');
  f.close();
  t.notOk(existsSync(all.path), 'close removes the FIFOs it created');
  t.same(logs, []);
});
