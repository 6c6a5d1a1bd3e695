/**
 * Collecting and printing config diagnostics (`file:line: severity: message`).
 */
import type { Diagnostic, Severity } from './types.js';

/** A place in the config: file and 1-based line. */
export interface Pos {
  file: string;
  line: number;
}

/** Accumulates diagnostics in the order they are found. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];

  /** Records one finding. */
  add(severity: Severity, pos: Pos, code: string, message: string, host = false): void {
    const d: Diagnostic = { severity, file: pos.file, line: pos.line, code, message };
    if (host) d.host = true;
    this.list.push(d);
  }

  /** Records an error. */
  error(pos: Pos, code: string, message: string): void {
    this.add('error', pos, code, message);
  }

  /** Records a warning. */
  warn(pos: Pos, code: string, message: string, host = false): void {
    this.add('warning', pos, code, message, host);
  }

  /** Records a note. */
  note(pos: Pos, code: string, message: string): void {
    this.add('note', pos, code, message);
  }
}

/** Formats one diagnostic as `file:line: severity: message` (line omitted when 0). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  return `${where}: ${d.severity}: ${d.message}`;
}

/** Counts diagnostics by severity. */
export function countBySeverity(list: readonly Diagnostic[]): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const d of list) out[d.severity]++;
  return out;
}

/** True when the list has an error (or, with strict, a warning). */
export function hasErrors(list: readonly Diagnostic[], strict = false): boolean {
  return list.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
}

/** Formats a position as "file:line". */
export function posString(pos: Pos): string {
  return `${pos.file}:${pos.line}`;
}
