/**
 * getopt_long(3)'s reading of argv, rewritten into the form node:util parseArgs takes, so a command line
 * written for a C program (keepalived) means the same to ulvs: a long option may be shortened to any
 * unique prefix (`--use=F` is `--use-file=F`), and an option with an optional argument takes it only
 * attached (`--config-test=F`, `-tF`; `-t F` leaves F a separate word). Pure.
 */
import { UsageError } from './command.js';

/** A parseArgs option table (the subset getopt needs). */
export type GetoptOptions = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** argv rewritten for parseArgs, and the optional arguments split off (long name -> value, '' when given bare). */
export interface GetoptResult {
  args: string[];
  optional: Record<string, string>;
}

/** The long option `name` stands for: itself, else the one option it is a unique prefix of (getopt_long's rule). */
export function expandLong(name: string, options: GetoptOptions): string {
  if (name in options) return name;
  const hits = Object.keys(options).filter((k) => k.startsWith(name));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new UsageError(`option '--${name}' is ambiguous; possibilities: ${hits.map((h) => `'--${h}'`).join(' ')}`);
  throw new UsageError(`unrecognized option '--${name}'`);
}

/**
 * Rewrites argv: long prefixes expanded, and the options named in `optionalArg` (declared boolean in
 * `options`) stripped of their attached value, which is returned in `optional`.
 */
export function normalizeGetopt(argv: string[], options: GetoptOptions, optionalArg: readonly string[]): GetoptResult {
  const shortOf = new Map<string, string>();
  for (const [k, o] of Object.entries(options)) if (o.short) shortOf.set(o.short, k);
  const optional: Record<string, string> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const long = /^--([^=]+)(=(.*))?$/s.exec(a);
    if (long) {
      const name = expandLong(long[1]!, options);
      if (optionalArg.includes(name)) {
        optional[name] = long[3] ?? '';
        args.push(`--${name}`);
      } else args.push(long[2] === undefined ? `--${name}` : `--${name}=${long[3]}`);
      if (long[2] === undefined && options[name]?.type === 'string' && i + 1 < argv.length) args.push(argv[++i]!);
      continue;
    }
    if (!/^-[^-]/.test(a)) {
      args.push(a);
      continue;
    }
    // A cluster of short options: stop at the first that takes an argument (the rest of the word is its value).
    let out = '-';
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const name = shortOf.get(c);
      if (name && optionalArg.includes(name)) {
        optional[name] = a.slice(j + 1);
        out += c;
        break;
      }
      out += c;
      if (name && options[name]!.type === 'string') {
        out += a.slice(j + 1);
        if (j + 1 === a.length && i + 1 < argv.length) {
          args.push(out);
          out = argv[++i]!;
          args.push(out);
          out = '';
        }
        break;
      }
    }
    if (out !== '' && out !== '-') args.push(out);
  }
  return { args, optional };
}
