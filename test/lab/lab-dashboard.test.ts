// `ulvs lab up --mode dr` leaves lb1's daemon (the mode's example keepalived.conf) running with its
// dashboard, and `ulvs lab dashboard` relays it to this host's loopback (here on a free port): the page
// and its JSON come through the relay and show the lab's virtual service with the traffic it carried.
import t from 'tap';
import { forwardDashboard } from '../../src/lab/dashboard-forward.js';
import { startMode } from '../../src/lab/demo.js';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { requestsThroughVip } from '../../src/lab/modes.js';

const root = process.getuid?.() === 0;

t.test('lab up --mode dr: the dashboard runs and is relayed to the host', { skip: !root && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const text = await startMode(lab, 'dr');
  t.match(text, /dashboard: http:\/\/127\.0\.0\.1:9406\/ in /, 'lab up prints where the dashboard is');
  let answers: string[] = [];
  for (let i = 0; i < 30 && answers.filter(Boolean).length < 3; i++) {
    answers = await requestsThroughVip(lab, 3);
    if (answers.filter(Boolean).length < 3) await new Promise((r) => setTimeout(r, 500));
  }
  t.equal(answers.filter(Boolean).length, 3, 'the director forwards (VRRP MASTER, DR)');
  const f = await forwardDashboard(lab, 'lb1', '127.0.0.1:0');
  t.teardown(() => f.close());
  const page = await fetch(`http://${f.address}/`);
  t.equal(page.status, 200);
  t.match(await page.text(), /ulvs director/);
  const st = (await (await fetch(`http://${f.address}/api/state`)).json()) as {
    services: Array<{ key: string; conns: number }>;
    vrrp: Array<{ state: string }>;
  };
  t.equal(st.services[0]?.key, 'TCP 198.18.0.100:80');
  t.ok(st.services[0]!.conns >= 3, 'the connections show');
  t.equal(st.vrrp[0]?.state, 'MASTER');
});
