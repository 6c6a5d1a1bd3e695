/**
 * Reads ipvsadm-save / `ipvsadm -R` text: one ipvsadm command per line, an optional leading
 * "ipvsadm", blank lines and `#` comments ignored. Errors name file:line and what was expected;
 * the whole text is applied all or nothing.
 */
import { ERROR_CODES } from '../core/errors.js';
import type { IpvsRules } from './types.js';
import { parseIpvsadmArgs } from './command.js';
import { isRuleCommand, type IpvsCommand, type RuleCommand } from './command-types.js';
import { IpvsadmError } from './errors.js';
import { applyCommand, emptyRules, type RuleLimits } from './rules.js';

/** A restore-text error located at file:line. */
export class RulesTextError extends IpvsadmError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
    exitCode: number,
  ) {
    super(`${file}:${line}: ${detail}`, exitCode, undefined, ERROR_CODES.RulesText);
  }
}

/** Splits a line into words (config_stream: whitespace separated, simple "..." / '...' quoting). */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** One parsed line of a restore text. */
export interface RulesTextLine {
  line: number;
  command: RuleCommand;
}

/** Parses restore text into commands with their line numbers; throws RulesTextError. */
export function parseRulesCommands(text: string, fileName: string): RulesTextLine[] {
  const out: RulesTextLine[] = [];
  eachCommand(text, fileName, (c) => out.push(c));
  return out;
}

/** Parses line by line, handing each command to `fn` before the next line is read (as ipvsadm -R does). */
function eachCommand(text: string, fileName: string, fn: (c: RulesTextLine) => void): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let words = splitWords(trimmed);
    if (words[0] === 'ipvsadm') words = words.slice(1);
    if (words.length === 0) continue;
    if (!words[0]!.startsWith('-')) {
      throw new RulesTextError(
        fileName,
        i + 1,
        `expected an ipvsadm command such as "-A -t 10.0.0.1:80 -s wlc" or "-a -t 10.0.0.1:80 -r 192.168.10.1:80 -g -w 1", got \`${words[0]}'`,
        2,
      );
    }
    let command: IpvsCommand;
    try {
      command = parseIpvsadmArgs(words);
    } catch (e) {
      if (e instanceof IpvsadmError) throw new RulesTextError(fileName, i + 1, e.message.trimEnd(), e.exitCode);
      throw e;
    }
    // A restore file holds rule commands only; listings and -R itself are refused.
    if (!isRuleCommand(command)) {
      throw new RulesTextError(fileName, i + 1, `expected a rule command (-A -E -D -a -e -d -C --set -Z), got \`${words[0]}'`, 2);
    }
    fn({ line: i + 1, command });
  }
}

/**
 * Reads restore text and applies it to `base` (default: empty rules with default timeouts).
 * Throws RulesTextError naming file:line for a syntax error or a rejected command (e.g.
 * "rules:4: Service not defined"); nothing is applied then.
 */
export function parseRulesText(text: string, fileName: string, base: IpvsRules = emptyRules(), limits: RuleLimits = {}): IpvsRules {
  let rules = base;
  eachCommand(text, fileName, ({ line, command }) => {
    try {
      rules = applyCommand(rules, command, limits);
    } catch (e) {
      if (e instanceof IpvsadmError) throw new RulesTextError(fileName, line, e.message.trimEnd(), e.exitCode);
      throw e;
    }
  });
  return rules;
}
