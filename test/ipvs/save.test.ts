// ipvsadm -S -n text (print_service_entry with FMT_RULE in ipvsadm 1.31) and the restore reader.
import t from 'tap';
import { formatSave } from '../../src/ipvs/save.js';
import { parseRulesText, RulesTextError } from '../../src/ipvs/rules-text.js';
import { emptyRules } from '../../src/ipvs/rules.js';

const RULES = `# ipvsadm-save style input, deliberately unsorted
ipvsadm -A -f 7 -s rr
-a -f 7 -r 192.168.10.9:0 -i -w 1
-a -f 7 -r 192.168.10.10 -i -w 2 --tun-type gue --tun-port 6080 --tun-remcsum
-a -f 7 -r 192.168.10.11 -i -w 3 --tun-type gre --tun-csum
-A -u 10.0.0.2:53 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-a -u 10.0.0.2:53 -r 192.168.10.5:53 -m -w 1 -x 100 -y 10

-A -t 10.0.0.1:80 -s wlc
-a -t 10.0.0.1:80 -r 192.168.10.2:80 -g -w 2
-a -t 10.0.0.1:80 -r 192.168.10.1:80 -m -w 1
-A -t [2001:db8::1]:443 -s mh -p 60 -M 64 -b mh-port
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 3
-A -u 10.0.0.3:5060 -s rr -p --pe sip -o
-A -t 10.0.0.1:8080 -s wrr -p 120
-A -f 9 -6 -s lc -b flag-1,flag-3
`;

// Expected text: services sorted by (fwmark, af, protocol, address, port), dests by address/port;
// -p/-M only for persistent services, -M only when not /32 (/128); thresholds are not saved;
// tunnel dests always carry --tun-type.
const EXPECTED = `-A -t 10.0.0.1:80 -s wlc
-a -t 10.0.0.1:80 -r 192.168.10.1:80 -m -w 1
-a -t 10.0.0.1:80 -r 192.168.10.2:80 -g -w 2
-A -t 10.0.0.1:8080 -s wrr -p 120
-A -u 10.0.0.2:53 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-a -u 10.0.0.2:53 -r 192.168.10.5:53 -m -w 1
-A -u 10.0.0.3:5060 -s rr -p 360 --pe sip -o
-A -t [2001:db8::1]:443 -s mh -p 60 -M 64 -b mh-port
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 3
-A -f 7 -s rr
-a -f 7 -r 192.168.10.9:0 -i -w 1 --tun-type ipip
-a -f 7 -r 192.168.10.10:0 -i -w 2 --tun-type gue --tun-port 6080 --tun-remcsum
-a -f 7 -r 192.168.10.11:0 -i -w 3 --tun-type gre --tun-csum
-A -f 9 -6 -s lc -b flag-1,flag-3
`;

t.test('byte-exact -S -n and round trip', async (t) => {
  const rules = parseRulesText(RULES, 'rules.txt');
  const text = formatSave(rules);
  t.equal(text, EXPECTED);
  t.equal(formatSave(parseRulesText(text, 'saved')), text, 'save(parse(save(x))) == save(x)');
  t.equal(formatSave(emptyRules()), '', 'no services, no output');
});

t.test("libipvs's wrapping comparator", async (t) => {
  // ipvs_cmp_dests returns (int)(ntohl(a) - ntohl(b)): 0x0a000001 - 0xc0a80001 wraps to +0x49580000,
  // so 10.0.0.1 sorts *after* 192.168.0.1, as ipvsadm prints it.
  const r = parseRulesText('-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.5\n-a -t 10.0.0.1:80 -r 192.168.0.1\n', 'x');
  t.equal(formatSave(r), '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 192.168.0.1:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.5:80 -g -w 1\n');
  // --nosort keeps the kernel's order: dests newest first.
  t.equal(formatSave(r, { noSort: true }), '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 192.168.0.1:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.5:80 -g -w 1\n');
  const r2 = parseRulesText('-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.7\n-a -t 10.0.0.1:80 -r 10.0.0.5\n-a -t 10.0.0.1:80 -r 10.0.0.6\n', 'x');
  t.equal(
    formatSave(r2)
      .split('\n')
      .slice(1, 4)
      .map((l) => l.split(' ')[4])
      .join(' '),
    '10.0.0.5:80 10.0.0.6:80 10.0.0.7:80',
  );
  t.equal(
    formatSave(r2, { noSort: true })
      .split('\n')
      .slice(1, 4)
      .map((l) => l.split(' ')[4])
      .join(' '),
    '10.0.0.6:80 10.0.0.5:80 10.0.0.7:80',
  );
});

t.test('restore text errors name file:line and what was expected', async (t) => {
  const cases: Array<[string, string]> = [
    ['-A -t 10.0.0.1:80\n\n-a -t 10.0.0.9:80 -r 1.2.3.4\n', 'r.txt:3: Service not defined'],
    ['# c\n-A -t 10.0.0.1:80 -s nope\n', 'r.txt:2: Scheduler or persistence engine not found'],
    ['-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 1.2.3.4 -w 70000\n', 'r.txt:2: illegal weight specified'],
    [
      'add -t 10.0.0.1:80\n',
      'r.txt:1: expected an ipvsadm command such as "-A -t 10.0.0.1:80 -s wlc" or "-a -t 10.0.0.1:80 -r 192.168.10.1:80 -g -w 1", got `add\'',
    ],
    ['-L -n\n', "r.txt:1: expected a rule command (-A -E -D -a -e -d -C --set -Z), got `-L'"],
    ['-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80\n', 'r.txt:2: Service already exists'],
  ];
  for (const [text, message] of cases) {
    const e = t.throws(() => parseRulesText(text, 'r.txt')) as unknown as RulesTextError;
    t.ok(e instanceof RulesTextError);
    t.equal(e.message, message);
  }
  // The base value is untouched when a later line fails.
  const base = parseRulesText('-A -t 10.0.0.1:80\n', 'b');
  t.throws(() => parseRulesText('-a -t 10.0.0.1:80 -r 1.2.3.4\n-a -t 10.0.0.1:80 -r 1.2.3.4\n', 'r', base));
  t.equal(base.services[0]!.realServers.length, 0);
});
