/**
 * The progress lines and the Markdown report the CPU benchmarks (bench/pipeline.ts, table.ts, workers.ts)
 * share: the machine line (node, CPU, memory, load, time), the calibration line, and where the text goes.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { calibrationNs } from './calibrate.js';

/** A number with thousands separators and at most `d` decimals. */
export const fmt = (x: number, d = 1): string => x.toLocaleString('en-US', { maximumFractionDigits: d });

/** A progress printer: "NAME: message" on stderr (stdout keeps the report alone). */
export function progressTo(name: string): (msg: string) => void {
  return (msg) => process.stderr.write(`${name}: ${msg}\n`);
}

/** The report's heading, its machine line (`loadLabel`: "load", "load at end") and the calibration line. */
export function reportHeader(title: string, loadLabel = 'load'): string[] {
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  return [
    `# ${title}\n\nnode ${process.version}, ${cpus()[0]?.model} x${cpus().length}, ${fmt(totalmem() / 2 ** 30)} GiB, ${loadLabel} ${load}, ${new Date().toISOString()}\n`,
    `calibration: ${calibrationNs().toFixed(2)} ns per trivial loop iteration (≈0.5 on an idle core)\n`,
  ];
}

/** The report of a benchmark whose results are (measure, result) rows. */
export function measureReport(title: string, rows: [string, string][]): string {
  return [...reportHeader(title), '| measure | result |\n|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}

/** Prints the report and writes it to `out` too ("-": stdout only). */
export function emitReport(text: string, out: string): void {
  console.log(text);
  if (out !== '-') writeFileSync(out, `${text}\n`);
}
