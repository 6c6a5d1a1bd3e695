import t from 'tap';
import { decodeControl, encodeControl, BfdState, type BfdControl } from '../../src/bfd/packet.js';

const base: BfdControl = {
  diag: 0,
  state: BfdState.Up,
  poll: true,
  final: false,
  cpi: false,
  demand: false,
  detectMult: 3,
  myDisc: 0x01020304,
  yourDisc: 0xfffffffe,
  desiredMinTxUs: 300000,
  requiredMinRxUs: 10000,
  requiredMinEchoRxUs: 0,
};

t.test('encode lays out RFC 5880 §4.1 big-endian and decode reads it back', async (t) => {
  const b = encodeControl(base);
  t.same([...b.subarray(0, 4)], [0x20, 0xe0, 3, 24], 'version 1, Up + P, mult 3, length 24');
  t.same([...b.subarray(4, 8)], [1, 2, 3, 4], 'my discriminator network order');
  t.same([...b.subarray(12, 16)], [0x00, 0x04, 0x93, 0xe0], 'desired min tx 300000 µs');
  t.same(decodeControl(b), base);
});

t.test('a packet FRR sends (Down, your disc 0, 1 s timers) decodes', async (t) => {
  const hex = '20400318' + '00000001' + '00000000' + '000f4240' + '000f4240' + '00000000';
  const p = decodeControl(Buffer.from(hex, 'hex'));
  t.equal(typeof p, 'object');
  t.equal((p as BfdControl).state, BfdState.Down);
  t.equal((p as BfdControl).yourDisc, 0);
});

t.test('malformed packets are dropped with a reason, never thrown', async (t) => {
  const good = encodeControl(base);
  const mut = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = Uint8Array.from(good);
    f(b);
    return b;
  };
  t.equal(decodeControl(good.subarray(0, 23)), 'short');
  t.equal(decodeControl(new Uint8Array(0)), 'short');
  t.equal(
    decodeControl(
      mut((b) => {
        b[0] = 0x40;
      }),
    ),
    'version',
  );
  t.equal(
    decodeControl(
      mut((b) => {
        b[3] = 30;
      }),
    ),
    'length',
    'length beyond the datagram',
  );
  t.equal(
    decodeControl(
      mut((b) => {
        b[3] = 20;
      }),
    ),
    'length',
    'length under 24',
  );
  t.equal(
    decodeControl(
      mut((b) => {
        b[1] |= 0x04;
        b[3] = 24;
      }),
    ),
    'length',
    'A bit needs 26 bytes',
  );
  t.equal(
    decodeControl(
      Buffer.concat([
        mut((b) => {
          b[1] |= 0x04;
          b[3] = 26;
        }),
        Buffer.alloc(2),
      ]),
    ),
    'auth',
  );
  t.equal(
    decodeControl(
      mut((b) => {
        b[2] = 0;
      }),
    ),
    'multiplier',
  );
  t.equal(
    decodeControl(
      mut((b) => {
        b[1] |= 0x01;
      }),
    ),
    'multipoint',
  );
  t.equal(
    decodeControl(
      mut((b) => {
        b.fill(0, 4, 8);
      }),
    ),
    'my-disc-zero',
  );
  t.equal(
    decodeControl(
      mut((b) => {
        b.fill(0, 8, 12);
      }),
    ),
    'your-disc-zero',
    'Up with your disc 0',
  );
  // random bytes: always an object or a reason string
  for (let i = 0; i < 2000; i++) {
    const b = new Uint8Array(Math.floor(Math.random() * 40));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(Math.random() * 256);
    const r = decodeControl(b);
    if (typeof r !== 'string' && typeof r !== 'object') t.fail('decode returned neither');
  }
  t.pass('2000 random datagrams decoded without a throw');
});
