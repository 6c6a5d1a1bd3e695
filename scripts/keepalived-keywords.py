#!/usr/bin/env python3
"""Lists every keyword keepalived registers with its parser, as (block path, keyword) pairs.

Reads keepalived's C sources (a checkout of the tag, e.g. `git archive v2.2.7 keepalived lib`) and
replays the registration calls of lib/parser.c the way they nest: install_keyword_root() opens a
top-level keyword, install_keyword() adds one at the current level, install_sublevel() /
install_sublevel_end() step into / out of the last keyword's block. Helper functions that register
keywords (install_checker_common_keywords, ...) are inlined where they are called. Every #ifdef
branch is taken (Debian's build enables nearly every option). Output: JSON on stdout.

usage: scripts/keepalived-keywords.py KEEPALIVED_SOURCE_DIR TAG > test/config/fixtures/keepalived-keywords.json
"""
import json
import os
import re
import sys

CALL = re.compile(r'\b(install_keyword_root|install_keyword_conditional|install_keyword|install_sublevel_end|install_sublevel|[a-z_][a-z0-9_]*)\s*\(([^;{}]*?)\)\s*;')
FUNC = re.compile(r'^(?:static\s+)?(?:void|bool|int)\s*\n?([a-z_][a-z0-9_]*)\s*\(([^)]*)\)\s*\n\{', re.M)


def functions(src_dir):
    out = {}
    for root, _, files in os.walk(src_dir):
        for f in files:
            if not f.endswith('.c'):
                continue
            text = open(os.path.join(root, f), encoding='utf8', errors='replace').read()
            text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
            for m in FUNC.finditer(text):
                start = m.end()
                depth, i = 1, start
                while depth and i < len(text):
                    depth += {'{': 1, '}': -1}.get(text[i], 0)
                    i += 1
                body = text[start:i - 1]
                if 'install_' in body:
                    params = [x.split()[-1].lstrip('*') for x in m.group(2).split(',') if x.strip() not in ('', 'void')]
                    out.setdefault(m.group(1), (os.path.relpath(os.path.join(root, f), src_dir), body, params))
    return out


def replay(funcs, roots):
    """Replays the registration calls from `roots`; returns the pairs in registration order."""
    pairs = []
    top = []  # root keywords, each {'k': name, 'sub': [...]}
    sublevel = [0]

    def add(name, is_root, where):
        if is_root:
            top.append({'k': name, 'sub': []})
            pairs.append({'block': '', 'keyword': name, 'source': where})
            return
        # keyword_alloc_sub(): under the last root keyword, down `sublevel` last-children.
        node, path = top[-1], [top[-1]['k']]
        for _ in range(sublevel[0]):
            node = node['sub'][-1]
            path.append(node['k'])
        node['sub'].append({'k': name, 'sub': []})
        pairs.append({'block': ' > '.join(path), 'keyword': name, 'source': where})

    stack = []

    def run(fn, bound):
        if fn not in funcs or fn in stack:
            return
        stack.append(fn)
        file, body, _ = funcs[fn]
        for prm, val in bound.items():
            if val is False:  # `if (param) { ... }` with the caller passing false
                body = re.sub(r'if\s*\(\s*' + prm + r'\s*\)\s*\{[^{}]*\}', '', body)
        for m in CALL.finditer(body):
            name, args = m.group(1), m.group(2)
            first = args.split(',')[0].strip()
            if name in ('install_keyword_root', 'install_keyword', 'install_keyword_conditional'):
                s = re.match(r'"([^"]+)"', first)
                word = s.group(1) if s else bound.get(first)
                if isinstance(word, str):
                    add(word, name == 'install_keyword_root', file)
            elif name == 'install_sublevel':
                sublevel[0] += 1
            elif name == 'install_sublevel_end':
                sublevel[0] -= 1
            elif name in funcs and name not in roots:
                words = [a.strip() for a in args.split(',')]
                bind = {}
                for prm, w in zip(funcs[name][2], words):
                    lit = re.match(r'"([^"]*)"', w)
                    if lit:
                        bind[prm] = lit.group(1)
                    elif w in ('true', 'false'):
                        bind[prm] = w == 'true'
                run(name, bind)
        stack.pop()

    for r in roots:
        run(r, {})
    return pairs


def main():
    src, tag = sys.argv[1], sys.argv[2]
    funcs = functions(src)
    roots = ['init_global_keywords', 'init_vrrp_keywords', 'init_check_keywords', 'init_bfd_keywords', 'add_track_file_keywords']
    pairs = replay(funcs, roots)
    uniq, seen = [], set()
    for p in pairs:
        key = (p['block'], p['keyword'])
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    json.dump({'source': f'keepalived {tag} (github.com/acassen/keepalived), parser registrations replayed by scripts/keepalived-keywords.py',
               'count': len(uniq), 'keywords': uniq}, sys.stdout, indent=1)
    sys.stdout.write('\n')


main()
