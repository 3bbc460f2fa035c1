/** Small, dependency-free parsing of the address notations site files use. */

/** An IPv4 octet in decimal, without leading zeros (as node's `net.isIPv4` takes it). */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** A dotted-quad IPv4 address: four decimal octets of 0 to 255, no leading zeros. */
export const isIPv4 = (ip: string): boolean => IPV4.test(ip);

/** What an IPv6 address in its text form may hold: hex groups, colons and the dots of an embedded IPv4 address. */
const IPV6_CHARACTERS = /^[0-9A-Fa-f:.]+$/;

/**
 * An IPv6 address in its text form (RFC 4291 2.2: eight groups, one `::`, an IPv4 address as the
 * last 32 bits), as WHATWG URL's host parser reads it between brackets; without a zone (`%eth0`),
 * which no site file address has (node's `net.isIPv6` takes one). Node's check compiles a regular
 * expression of about 2 KB on first use, twice (V8 interprets it, then compiles it to native code):
 * about 5 ms of a synth of the committed sites, with node's `net` module loaded for it.
 */
export const isIPv6 = (ip: string): boolean => IPV6_CHARACTERS.test(ip) && URL.canParse(`http://[${ip}]/`);

export function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function ipv6ToBigInt(ip: string): bigint {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...fill, ...tailParts].reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group || '0', 16)), 0n);
}

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

function toBig(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) return { family: 4, value: BigInt(ipv4ToNumber(ip)) };
  if (isIPv6(ip)) return { family: 6, value: ipv6ToBigInt(ip) };
  return undefined;
}

/**
 * Parses `a.b.c.d`, `a.b.c.d/nn` or `first-last` (MetalLB's notations, IPv4 or IPv6).
 * Returns undefined when the text is none of these.
 */
export function parseRange(text: string): AddressRange | undefined {
  if (text.includes('-')) {
    const [a, b] = text.split('-').map((s) => toBig(s.trim()));
    if (!a || !b || a.family !== b.family || a.value > b.value) return undefined;
    return { family: a.family, first: a.value, last: b.value };
  }
  const [ip, bitsText] = text.split('/');
  const addr = toBig(ip ?? '');
  if (!addr) return undefined;
  const width = addr.family === 4 ? 32 : 128;
  if (bitsText === undefined) return { family: addr.family, first: addr.value, last: addr.value };
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > width) return undefined;
  const size = 1n << BigInt(width - bits);
  const first = (addr.value / size) * size;
  return { family: addr.family, first, last: first + size - 1n };
}

export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function rangeContains(range: AddressRange, ip: string): boolean {
  const addr = toBig(ip);
  return addr !== undefined && addr.family === range.family && range.first <= addr.value && addr.value <= range.last;
}

/** A lowercase DNS name of two labels or more (site domains, route hosts). */
export const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
