// keepalived.conf grammar: comments, braces, quoting, include, $definitions, @id lines, ~SEQ/~LST.
// Table-driven: each case is a set of files and the expected tree (keyword args @file:line) or diagnostics.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { preprocess } from '../../src/config/preprocess.js';
import { buildTree, type ConfNode } from '../../src/config/tree.js';
import { parseScriptLine } from '../../src/config/script-args.js';

interface Case {
  name: string;
  files: Record<string, string>;
  /** Expected tree, one string per node: "kw arg arg @file:line" with children indented by two spaces. */
  tree?: string[];
  /** Expected diagnostics as "code@file:line" (exact list, notes excluded). */
  diags?: string[];
  configId?: string;
  env?: NodeJS.ProcessEnv;
}

function render(nodes: ConfNode[], dir: string, indent = ''): string[] {
  return nodes.flatMap((n) => [
    `${indent}${[n.keyword, ...n.args].join(' ')} @${n.file.slice(dir.length + 1)}:${n.line}`,
    ...(n.children ? render(n.children, dir, indent + '  ') : []),
  ]);
}

function run(c: Case): { tree: string[]; diags: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ulvs-cfg-'));
  try {
    for (const [name, text] of Object.entries(c.files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const sink = new DiagnosticSink();
    const pre = preprocess(join(dir, 'main.conf'), sink, { configId: c.configId ?? 'lb1', env: c.env ?? {} });
    const tree = buildTree(pre.lines, sink);
    return {
      tree: render(tree, dir),
      diags: sink.list.filter((d) => d.severity !== 'note').map((d) => `${d.code}@${d.file.slice(dir.length + 1)}:${d.line}`),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases: Case[] = [
  // Comments
  {
    name: '# and ! comments, whole-line and trailing',
    files: { 'main.conf': '# c1\n! c2\nrouter_id a # c3\nsmtp_server b ! c4\n' },
    tree: ['router_id a @main.conf:3', 'smtp_server b @main.conf:4'],
  },
  {
    name: 'comment glued to a brace: vrrp_instance VI_1 {#comment',
    files: { 'main.conf': 'vrrp_instance VI_1 {#定义\n  state MASTER #x\n}\n' },
    tree: ['vrrp_instance VI_1 @main.conf:1', '  state MASTER @main.conf:2'],
  },
  { name: 'comment glued to a token', files: { 'main.conf': 'priority 100#x\nweight 2!y\n' }, tree: ['priority 100 @main.conf:1', 'weight 2 @main.conf:2'] },
  {
    name: '# inside double quotes is kept',
    files: { 'main.conf': 'router_id "my router # not a comment"  ! bang\n' },
    tree: ['router_id my router # not a comment @main.conf:1'],
  },
  { name: '\\# and \\! outside quotes are literal', files: { 'main.conf': 'auth_pass a\\#b\\!c\n' }, tree: ['auth_pass a#b!c @main.conf:1'] },
  { name: 'CRLF line ends', files: { 'main.conf': 'a 1\r\nb 2\r\n' }, tree: ['a 1 @main.conf:1', 'b 2 @main.conf:2'] },
  // Braces
  {
    name: 'one-line block',
    files: { 'main.conf': 'virtual_ipaddress { 10.0.0.1/24 dev eth0 }\n' },
    tree: ['virtual_ipaddress @main.conf:1', '  10.0.0.1/24 dev eth0 @main.conf:1'],
  },
  {
    name: 'brace on the next line',
    files: { 'main.conf': 'global_defs\n{\n  router_id x\n}\n' },
    tree: ['global_defs @main.conf:1', '  router_id x @main.conf:3'],
  },
  {
    name: 'brace glued to keyword and closing brace glued to value',
    files: { 'main.conf': 'global_defs{\nrouter_id x}\n' },
    tree: ['global_defs @main.conf:1', '  router_id x @main.conf:2'],
  },
  {
    name: 'several blocks on one line',
    files: { 'main.conf': 'a { b { c 1 } d 2 } e 3\n' },
    tree: ['a @main.conf:1', '  b @main.conf:1', '    c 1 @main.conf:1', '  d 2 @main.conf:1', 'e 3 @main.conf:1'],
  },
  { name: 'braces inside quotes are not blocks', files: { 'main.conf': 'x "a { b }"\n' }, tree: ['x a { b } @main.conf:1'] },
  {
    name: 'missing closing brace is reported at the opener',
    files: { 'main.conf': 'vrrp_instance VI_1 {\n  state MASTER\n' },
    tree: ['vrrp_instance VI_1 @main.conf:1', '  state MASTER @main.conf:2'],
    diags: ['missing-brace@main.conf:1'],
  },
  { name: 'extra closing brace', files: { 'main.conf': 'a 1\n}\nb 2\n' }, tree: ['a 1 @main.conf:1', 'b 2 @main.conf:3'], diags: ['extra-brace@main.conf:2'] },
  { name: 'brace with no keyword', files: { 'main.conf': 'a {\n}\n{\nb 1\n}\n' }, diags: ['stray-brace@main.conf:3'] },
  // Quoting
  {
    name: 'double-quoted value keeps spaces; single quotes are not special in generic tokens',
    files: { 'main.conf': 'x "a b" \'c d\'\n' },
    tree: ["x a b 'c d' @main.conf:1"],
  },
  { name: 'unmatched quote is an error', files: { 'main.conf': 'x "abc\n' }, diags: ['unmatched-quote@main.conf:1'] },
  // include
  {
    name: 'include relative to the including file, nested, keeps file:line',
    files: {
      'main.conf': 'a 1\ninclude sub/one.conf\nb 2\n',
      'sub/one.conf': 'c 3\ninclude two.conf\n',
      'sub/two.conf': 'd 4\n',
    },
    tree: ['a 1 @main.conf:1', 'c 3 @sub/one.conf:1', 'd 4 @sub/two.conf:1', 'b 2 @main.conf:3'],
  },
  {
    name: 'include glob expands sorted; csh braces',
    files: {
      'main.conf': 'include conf.d/*.conf\ninclude x/{p,q}.inc\n',
      'conf.d/b.conf': 'b 1\n',
      'conf.d/a.conf': 'a 1\n',
      'conf.d/skip.txt': 'no 1\n',
      'x/q.inc': 'q 1\n',
      'x/p.inc': 'p 1\n',
    },
    tree: ['a 1 @conf.d/a.conf:1', 'b 1 @conf.d/b.conf:1', 'p 1 @x/p.inc:1', 'q 1 @x/q.inc:1'],
  },
  {
    name: 'include inside a block is textual',
    files: { 'main.conf': 'global_defs {\n  include g.conf\n}\n', 'g.conf': 'router_id r\n' },
    tree: ['global_defs @main.conf:1', '  router_id r @g.conf:1'],
  },
  {
    name: 'missing include is an error (keepalived only logs it)',
    files: { 'main.conf': 'include nope.conf\na 1\n' },
    tree: ['a 1 @main.conf:2'],
    diags: ['include-missing@main.conf:1'],
  },
  { name: 'includea variant of an unmatched glob is an error', files: { 'main.conf': 'includea none/*.conf\n' }, diags: ['include-missing@main.conf:1'] },
  {
    name: 'include cycle is an error, not a hang',
    files: { 'main.conf': 'include a.conf\n', 'a.conf': 'x 1\ninclude main.conf\n' },
    tree: ['x 1 @a.conf:1'],
    diags: ['include-cycle@a.conf:2'],
  },
  // $definitions
  {
    name: '$NAME and ${NAME} substitution',
    files: { 'main.conf': '$IF=eth0\n$P=100\ninterface $IF\npriority ${P}0\n' },
    tree: ['interface eth0 @main.conf:3', 'priority 1000 @main.conf:4'],
  },
  {
    name: '$NAME glued to text is not expanded, ${NAME} is; undefined names stay',
    files: { 'main.conf': '$A=x\nk $Ab ${A}b $UNDEF ${UNDEF2}\n' },
    tree: ['k $Ab xb $UNDEF ${UNDEF2} @main.conf:2'],
  },
  {
    name: 'definitions are recursive and late-bound',
    files: { 'main.conf': '$A=${B}1\n$B=x\nk $A\n$B=y\nk $A\n' },
    tree: ['k x1 @main.conf:3', 'k y1 @main.conf:5'],
  },
  {
    name: 'multi-line definition injects several lines at the use site',
    files: {
      'main.conf': '$VI= \\\nvrrp_instance ${N} { \\\n  priority 100 \\\n}\n$N=VI_1\n$VI\n$N=VI_2\n$VI\n',
    },
    tree: ['vrrp_instance VI_1 @main.conf:6', '  priority 100 @main.conf:6', 'vrrp_instance VI_2 @main.conf:8', '  priority 100 @main.conf:8'],
  },
  { name: 'self-referencing definition is reported, not looped', files: { 'main.conf': '$A=$A x\nk $A\n' }, diags: ['expansion-depth@main.conf:2'] },
  {
    name: 'builtins _HASH _BANG _INSTANCE _ENV',
    files: { 'main.conf': 'k ${_HASH}a ${_BANG}b ${_INSTANCE} ${_ENV HOME_X}\n' },
    env: { HOME_X: '/h' },
    tree: ['k #a !b lb1 /h @main.conf:1'],
  },
  { name: 'reserved _ names cannot be defined', files: { 'main.conf': '$_X=1\n' }, diags: ['reserved-definition@main.conf:1'] },
  // @id conditionals
  {
    name: '@id lines kept only for that id, @^id only for others',
    configId: 'kt1',
    files: {
      'main.conf': '@kt1 priority 200\n@^kt1 priority 50\n@other state MASTER\n@^other state BACKUP\n',
    },
    tree: ['priority 200 @main.conf:1', 'state BACKUP @main.conf:4'],
  },
  {
    name: '@id with a definition',
    configId: 'main',
    files: { 'main.conf': '@main $PRIO=240\n@^main $PRIO=10\npriority $PRIO\n' },
    tree: ['priority 240 @main.conf:3'],
  },
  {
    name: '@id with a tab inside a block',
    configId: 'high',
    files: { 'main.conf': 'vrrp_instance V {\n@high\tpriority 170\n@low\tpriority 85\n}\n' },
    tree: ['vrrp_instance V @main.conf:1', '  priority 170 @main.conf:2'],
  },
  // generators
  {
    name: '~SEQ(var, start, end)',
    files: { 'main.conf': '~SEQ(N, 1, 3) 10.99.1.${N}/24\n' },
    tree: ['10.99.1.1/24 @main.conf:1', '10.99.1.2/24 @main.conf:1', '10.99.1.3/24 @main.conf:1'],
  },
  {
    name: '~SEQ(var, start, step, end) and ~SEQx hex',
    files: { 'main.conf': '~SEQ(N, 10, -5, 0) a $N\n~SEQx(H, 9, 11) b $H\n' },
    tree: ['a 10 @main.conf:1', 'a 5 @main.conf:1', 'a 0 @main.conf:1', 'b 9 @main.conf:2', 'b a @main.conf:2', 'b b @main.conf:2'],
  },
  {
    name: '~LST single and tuple forms, nested generators',
    files: { 'main.conf': '~LST(X, p, q) k $X\n~LST({A,B}, {1,2}, {3,4}) m $A $B\n~SEQ(I, 1, 2) ~LST(J, a, b) n ${I}${J}\n' },
    tree: [
      'k p @main.conf:1',
      'k q @main.conf:1',
      'm 1 2 @main.conf:2',
      'm 3 4 @main.conf:2',
      'n 1a @main.conf:3',
      'n 1b @main.conf:3',
      'n 2a @main.conf:3',
      'n 2b @main.conf:3',
    ],
  },
  { name: 'bad ~SEQ is reported', files: { 'main.conf': '~SEQ(N, a) x\n' }, diags: ['generator-syntax@main.conf:1'] },
  // line limits
  {
    name: 'line over 1024 bytes is an error and skipped',
    files: { 'main.conf': `a ${'x'.repeat(1030)}\nb 1\n` },
    tree: ['b 1 @main.conf:2'],
    diags: ['line-too-long@main.conf:1'],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = run(c);
    if (c.tree) t.same(r.tree, c.tree, 'tree');
    t.same(r.diags, c.diags ?? [], 'diagnostics');
  });
}

t.test('missing main file is an error at the file', async (t) => {
  const sink = new DiagnosticSink();
  const pre = preprocess('/nonexistent/ulvs/keepalived.conf', sink, { configId: 'x', env: {} });
  t.same(pre.lines, []);
  t.equal(sink.list[0]?.code, 'file-missing');
  t.equal(sink.list[0]?.line, 0);
});

// Script lines: keepalived's two-stage splitting (core/notify.c).
const scriptCases: Array<[string, { argv: string[]; user?: string; group?: string }]> = [
  ['/bin/true', { argv: ['/bin/true'] }],
  ['"/usr/local/bin/vrrp.sh  BACKUP   VI_1"', { argv: ['/usr/local/bin/vrrp.sh', 'BACKUP', 'VI_1'] }],
  [`"echo 'a b' c"`, { argv: ['echo', 'a b', 'c'] }],
  ['"/bin/x arg" nobody', { argv: ['/bin/x', 'arg'], user: 'nobody' }],
  ['"/bin/x" nobody nogroup', { argv: ['/bin/x'], user: 'nobody', group: 'nogroup' }],
  ['/bin/x nobody:adm', { argv: ['/bin/x'], user: 'nobody', group: 'adm' }],
  [`ab"c d"e`, { argv: ['abc', 'de'] }],
  ['"/bin/printf a\\tb\\x41\\101\\n"', { argv: ['/bin/printf', 'a\tbAA\n'] }],
  [`"/bin/echo 'x\\ty'"`, { argv: ['/bin/echo', 'x\\ty'] }],
];
for (const [line, want] of scriptCases) {
  t.test(`script line ${line}`, async (t) => {
    const s = parseScriptLine(line);
    t.ok(s);
    t.same(s!.argv, want.argv);
    t.equal(s!.user, want.user);
    t.equal(s!.group, want.group);
  });
}
