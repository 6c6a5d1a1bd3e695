// keepalived.conf comments: `#` and `!` outside double quotes end a line (lib/parser.c), `\#` / `\!` escape them.
/** Removes `#`/`!` comments outside double quotes; `\#` and `\!` outside quotes give the literal character. */
export function decomment(text: string): string {
  let out = '';
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuote) {
      out += c;
      if (c === '\\' && i + 1 < text.length) out += text[++i];
      else if (c === '"') inQuote = false;
      continue;
    }
    if (c === '"') {
      inQuote = true;
      out += c;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '#' || text[i + 1] === '!')) {
      out += text[++i];
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      out += c + text[++i];
      continue;
    }
    if (c === '#' || c === '!') break;
    out += c;
  }
  return out.replace(/\s+$/, '');
}
