/**
 * The daemon's log: one line per event on stdout, as text ("2026-01-01T00:00:00.000Z info message")
 * or, with --log-json, as JSON objects ({"time":…,"level":…,"msg":…, …fields}).
 */

/** Log levels. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A structured logger. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Creates a logger writing to `write` (default stdout) as text or JSON lines. */
export function createLogger(json: boolean, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    const time = new Date().toISOString();
    if (json) write(JSON.stringify({ time, level, msg, ...fields }) + '\n');
    else {
      const extra = Object.entries(fields)
        .map(([k, v]) => ` ${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
        .join('');
      write(`${time} ${level} ${msg}${extra}\n`);
    }
  };
  return { log, info: (m, f) => log('info', m, f), warn: (m, f) => log('warn', m, f), error: (m, f) => log('error', m, f) };
}
