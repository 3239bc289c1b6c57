import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a webhook may be delivered to (the SSRF guard, src/webhooks/target-guard.ts):
 * never loopback, private, link-local, carrier-grade NAT, multicast, reserved or unspecified
 * ones, unless the operator lists them (KEYWARD_WEBHOOK_ALLOW_PRIVATE: addresses or CIDR
 * ranges). IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
const REFUSED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const REFUSED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const REFUSED = new BlockList();
for (const [a, p] of REFUSED_V4) REFUSED.addSubnet(a, p, 'ipv4');
for (const [a, p] of REFUSED_V6) REFUSED.addSubnet(a, p, 'ipv6');

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else unchanged. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? (m[1] as string) : address;
}

export class AddressPolicy {
  private readonly allowed = new BlockList();
  readonly allowList: readonly string[];

  /** `allow`: addresses or CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `::1`). Throws on anything else. */
  constructor(allow: readonly string[]) {
    this.allowList = [...allow];
    for (const entry of allow) {
      const [address = '', prefix, ...rest] = entry.split('/');
      const family = isIP(address);
      if (family === 0 || rest.length > 0) throw new Error(`not an address or CIDR range: "${entry}"`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.allowed.addAddress(address, type);
      else {
        const bits = Number(prefix);
        if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new Error(`not a CIDR range: "${entry}"`);
        this.allowed.addSubnet(address, bits, type);
      }
    }
  }

  /** Listed by the operator (which also lets plain http:// reach it). */
  isAllowedExplicitly(address: string): boolean {
    const a = unmapped(address);
    const family = isIP(a);
    return family !== 0 && this.allowed.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** Whether a delivery may connect to this address. */
  permits(address: string): boolean {
    const a = unmapped(address);
    const family = isIP(a);
    if (family === 0) return false;
    if (this.isAllowedExplicitly(a)) return true;
    return !REFUSED.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }
}
