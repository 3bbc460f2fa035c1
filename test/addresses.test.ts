import * as net from 'node:net';
import { isIPv4, isIPv6, parseRange } from '../model/addresses';
import { random } from './diff-helpers';

// model/addresses.ts checks addresses without node's `net` (whose IPv6 expression costs a synth
// about 5 ms to compile): its answers are node's on every text below, zones (`%eth0`) aside
// (random texts from a seeded generator, so that a failure names a text that fails again).

const FIXED = [
  '',
  '0.0.0.0',
  '255.255.255.255',
  '192.168.1.10',
  '256.1.1.1',
  '01.2.3.4',
  '1.2.3',
  '1.2.3.4.5',
  '1.2.3.4 ',
  ' 1.2.3.4',
  '1..2.3',
  '::',
  '::1',
  '1::',
  '2001:db8::1',
  '2001:DB8:0:0:0:0:0:1',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7::',
  '::1:2:3:4:5:6:7',
  '1::2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:9',
  '12345::',
  ':1',
  '1:',
  ':::',
  '1::2::3',
  '::ffff:192.168.1.1',
  '::ffff:01.168.1.1',
  '1:2:3:4:5:6:1.2.3.4',
  '1:2:3:4:5:6:7:1.2.3.4',
  '::1.2.3.4',
  '1.2.3.4::',
  'fe80::1]',
  '[::1]',
  '::1/64',
  'g::1',
];

/** Texts near addresses: groups of 1 to 5 hex digits, one or two `::`, an IPv4 tail, a character dropped or doubled. */
function nearAddresses(count: number): string[] {
  const next = random(17);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const hex = '0123456789abcdefABCDEF';
  const group = () => Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick([...hex])).join('');
  const octet = () => pick(['0', '7', '10', '99', '100', '199', '200', '249', '250', '255', '256', '01', '300']);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = next();
    let text: string;
    if (kind < 0.25) text = Array.from({ length: 3 + Math.floor(next() * 3) }, octet).join('.');
    else {
      const groups = Array.from({ length: Math.floor(next() * 9) }, group);
      if (next() < 0.6) groups.splice(Math.floor(next() * (groups.length + 1)), 0, '');
      if (next() < 0.1) groups.splice(Math.floor(next() * (groups.length + 1)), 0, '');
      text = groups.join(':');
      if (text.startsWith(':')) text = `:${text}`;
      if (text.endsWith(':')) text = `${text}:`;
      if (next() < 0.3) text = `${text}${text.endsWith(':') ? '' : ':'}${[octet(), octet(), octet(), octet()].join('.')}`;
    }
    const edit = next();
    const at = Math.floor(next() * (text.length + 1));
    if (edit < 0.1) text = text.slice(0, at) + text.slice(at + 1);
    else if (edit < 0.2) text = text.slice(0, at) + text.charAt(at) + text.slice(at);
    out.push(text);
  }
  return out;
}

describe('address checks (model/addresses.ts)', () => {
  const texts = [...FIXED, ...nearAddresses(20_000)];

  it('take IPv4 addresses as node does', () => {
    const differ = texts.filter((t) => isIPv4(t) !== net.isIPv4(t));
    expect(differ).toEqual([]);
    expect(texts.filter((t) => net.isIPv4(t)).length).toBeGreaterThan(500);
  });

  it('take IPv6 addresses as node does, zones aside', () => {
    const differ = texts.filter((t) => isIPv6(t) !== net.isIPv6(t));
    expect(differ).toEqual([]);
    expect(texts.filter((t) => net.isIPv6(t)).length).toBeGreaterThan(2_000);
    expect(net.isIPv6('fe80::1%eth0')).toBe(true);
    expect(isIPv6('fe80::1%eth0')).toBe(false);
  });

  it('parse the ranges of both families', () => {
    expect(parseRange('10.0.0.0/30')).toEqual({ family: 4, first: 0x0a000000n, last: 0x0a000003n });
    expect(parseRange('2001:db8::10-2001:db8::1f')).toEqual({
      family: 6,
      first: 0x20010db8000000000000000000000010n,
      last: 0x20010db800000000000000000000001fn,
    });
    expect(parseRange('10.0.0.1-2001:db8::1')).toBeUndefined();
    expect(parseRange('fe80::1%eth0')).toBeUndefined();
  });
});
