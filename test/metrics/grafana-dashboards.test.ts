// The Grafana dashboards in examples/grafana/ query only families /metrics serves: every metric name in
// every panel expression is a family of the registry (ulvs_*, node_exporter's node_ipvs_*, the keepalived
// exporters' keepalived_*), and the compat dashboard uses only the exporters' names.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createMetricsRegistry } from '../../src/metrics/registry.js';

const dir = path.join(import.meta.dirname, '../../examples/grafana');
const source = {
  services: () => [],
  vrrp: () => [],
  health: () => [],
  dataPlane: () => undefined,
  reloads: () => ({ ok: 0, failed: 0, lastSuccessTimestampS: 0 }),
};

t.test('every queried family exists', async (t) => {
  const text = await createMetricsRegistry(source, { defaultMetrics: false }).metrics();
  const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  t.ok(files.includes('ipvs-keepalived-compat.json'), 'the compat dashboard is there');
  for (const f of files) {
    const d = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const names = new Set(
      d.panels.flatMap((p) => p.targets.flatMap((x) => [...x.expr.matchAll(/\b((?:ulvs|node_ipvs|keepalived)_[a-z_]+)\b/g)].map((m) => m[1]!))),
    );
    t.ok(names.size > 0, `${f} queries metrics`);
    for (const n of names) t.ok(families.has(n), `${f}: ${n} is served`);
    if (f === 'ipvs-keepalived-compat.json')
      t.notOk(
        [...names].some((n) => n.startsWith('ulvs_')),
        'the compat dashboard needs no ulvs_* name',
      );
  }
});
