import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { AddressPolicy } from '../core/address-policy.js';
import { KeywardError } from '../core/errors.js';

type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, list) => (err ? reject(err) : resolve(list))));

/**
 * The SSRF guard of webhook deliveries. An endpoint's URL is checked when it is registered
 * (scheme, no credentials, every address its host resolves to) and again on every attempt,
 * inside the connection's own DNS lookup: the address connected to is the one checked, so a
 * name that resolves elsewhere later (DNS rebinding) is refused then. Loopback, private,
 * link-local, multicast and reserved addresses are refused unless the operator lists them
 * (KEYWARD_WEBHOOK_ALLOW_PRIVATE); plain http:// is refused unless KEYWARD_WEBHOOK_ALLOW_HTTP
 * is set or every address is one the operator listed.
 */
export class TargetGuard {
  private readonly policy: AddressPolicy;

  constructor(
    allowPrivate: readonly string[],
    private readonly allowHttp: boolean,
    private readonly resolve: Resolver = systemResolver,
  ) {
    this.policy = new AddressPolicy(allowPrivate);
  }

  /** A reason the addresses are refused for this scheme, or null when they may be reached. */
  private refusal(addresses: readonly string[], scheme: string): string | null {
    if (addresses.length === 0) return 'the host resolves to no address';
    const bad = addresses.find((a) => !this.policy.permits(a));
    if (bad !== undefined) return `${bad} is a loopback, private, link-local, multicast or reserved address`;
    if (scheme === 'http:' && !this.allowHttp && !addresses.every((a) => this.policy.isAllowedExplicitly(a))) {
      return 'plain http:// is only allowed to addresses the operator allows; use https://';
    }
    return null;
  }

  /** The parsed URL, or WEBHOOK_URL_REFUSED saying why. Resolves the host. */
  async check(raw: string): Promise<URL> {
    const url = parseEndpointUrl(raw);
    const host = hostOf(url);
    let addresses: string[];
    if (isIP(host) !== 0) addresses = [host];
    else {
      try {
        addresses = (await this.resolve(host)).map((a) => a.address);
      } catch {
        throw new KeywardError('WEBHOOK_URL_REFUSED', `The host ${host} does not resolve.`);
      }
    }
    const why = this.refusal(addresses, url.protocol);
    if (why) throw new KeywardError('WEBHOOK_URL_REFUSED', `Webhook URL refused: ${why}.`);
    return url;
  }

  /** For an address literal in the URL (which no DNS lookup sees): the refusal, or null. */
  literalRefusal(url: URL): string | null {
    const host = hostOf(url);
    return isIP(host) === 0 ? null : this.refusal([host], url.protocol);
  }

  /** A `lookup` for http.request that only ever hands over permitted addresses. */
  lookupFor(scheme: string): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname).then(
        (list) => {
          const why = this.refusal(
            list.map((a) => a.address),
            scheme,
          );
          if (why) {
            callback(Object.assign(new Error(`refused: ${why}`), { code: 'EWEBHOOKREFUSED' }), '', 0);
            return;
          }
          if (options.all) (callback as unknown as (e: null, l: LookupAddress[]) => void)(null, list);
          else {
            const first = list.find((a) => !options.family || a.family === options.family) ?? (list[0] as LookupAddress);
            callback(null, first.address, first.family);
          }
        },
        (err: NodeJS.ErrnoException) => callback(err, '', 0),
      );
    };
  }
}

/** `[::1]` → `::1`. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Syntax alone: http(s), no user:password, at most 2048 characters. */
export function parseEndpointUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KeywardError('WEBHOOK_URL_REFUSED', 'The webhook URL is not a URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new KeywardError('WEBHOOK_URL_REFUSED', 'A webhook URL is https:// (or http://).');
  if (url.username || url.password) throw new KeywardError('WEBHOOK_URL_REFUSED', 'A webhook URL must not carry credentials.');
  if (url.hash) throw new KeywardError('WEBHOOK_URL_REFUSED', 'A webhook URL has no fragment.');
  return url;
}
