import { describe, expect, it } from 'vitest';
import {
  computeSignature,
  conformedRequest,
  dateKey,
  formatAuthorization,
  formatTimestamp,
  parseAuthorization,
  parseSignDate,
  parseTimestamp,
  sha256Hex,
  signatureWithKey,
  signingKey,
} from '../../src/core/ctn1.js';

/** The parser as it was written first (a regular expression and a formatting round trip): the reference. */
function referenceParseTimestamp(ts: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(ts);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return formatTimestamp(ms) === ts ? ms : null;
}

// The test vector of shared/SIGNING.md, reproduced byte for byte.
const V = {
  deviceId: 'drc3XdxNtzoucpw9xiRp',
  secret:
    '4c1749c8e86f65e0a73e5fb19f2aa9e74a716bc22d7956bf3072b4bc3fbfe2a0d138ad0d4bcfee251e4e5f54d6e92b8fd4eb36958a7aeaeeb51e8d2fcc4552c3',
  method: 'POST',
  path: '/api/0.10/messages/log',
  host: 'localhost:3000',
  timestamp: '20201201T060000Z',
  body: '{"message":"Test message","options":{"encoding":"utf8"}}',
  payloadHash: '75fd0a5ab1e655c93bb6d7d9c4bc29d98477175a27cd5db73d1e033fdddf94d4',
  conformedHash: '7e5da5d0faaa33daa6abe2c6811566bd94253b055387cc0802c481942677859e',
  dateKey: 'af44f18776668b7327dfe9d202cbabcf07359019d255465e66261d85ecacec34',
  signKey: '23d4dc21297ee90261d4ca6f2259a8e69cb64fd4f30d8ea12d9148280b50bf91',
  authorization:
    'CTN1-HMAC-SHA256 Credential=drc3XdxNtzoucpw9xiRp/20201201/ctn1_request,Signature=af2b41b1786b812809cc01291fd324880f48017b96332192566006d2fd7eefb4',
};

describe('CTN1-HMAC-SHA256', () => {
  it('reproduces the SIGNING.md test vector at every step', () => {
    const bodyHash = sha256Hex(V.body);
    expect(bodyHash).toBe(V.payloadHash);
    const req = { method: V.method, path: V.path, host: V.host, timestamp: V.timestamp, bodyHash };
    expect(sha256Hex(conformedRequest(req))).toBe(V.conformedHash);
    expect(dateKey(V.secret, '20201201').toString('hex')).toBe(V.dateKey);
    expect(signingKey(V.secret, '20201201').toString('hex')).toBe(V.signKey);
    const signature = computeSignature(V.secret, '20201201', req);
    expect(formatAuthorization(V.deviceId, '20201201', signature)).toBe(V.authorization);
  });

  it('parses the Authorization header with or without a space after the comma', () => {
    const expected = { deviceId: V.deviceId, signDate: '20201201', signature: V.authorization.slice(-64) };
    expect(parseAuthorization(V.authorization)).toEqual(expected);
    expect(parseAuthorization(V.authorization.replace(',Signature', ', Signature'))).toEqual(expected);
  });

  it.each([
    ['empty', ''],
    ['other scheme', V.authorization.replace('CTN1-HMAC-SHA256', 'AWS4-HMAC-SHA256')],
    ['short device id', V.authorization.replace('drc3XdxNtzoucpw9xiRp', 'drc3XdxNtzoucpw9xiR')],
    ['non-word device id', V.authorization.replace('drc3XdxNtzoucpw9xiRp', 'drc3XdxNtzoucpw9xi-p')],
    ['short signature', V.authorization.slice(0, -1)],
    ['non-hex signature', `${V.authorization.slice(0, -1)}g`],
    ['two spaces', V.authorization.replace(',Signature', ',  Signature')],
    ['wrong scope', V.authorization.replace('ctn1_request', 'aws4_request')],
    ['trailing text', `${V.authorization} `],
  ])('refuses a malformed Authorization header (%s)', (_why, header) => {
    expect(parseAuthorization(header)).toBeNull();
  });

  it('parses only real UTC timestamps and dates', () => {
    expect(parseTimestamp('20201201T060000Z')).toBe(Date.UTC(2020, 11, 1, 6, 0, 0));
    expect(formatTimestamp(Date.UTC(2020, 11, 1, 6, 0, 0, 999))).toBe('20201201T060000Z');
    for (const bad of ['20201301T060000Z', '20201232T060000Z', '20201201T250000Z', '20201201T060000', '2020-12-01T06:00:00Z', '']) {
      expect(parseTimestamp(bad)).toBeNull();
    }
    expect(parseSignDate('20200229')).toBe(Date.UTC(2020, 1, 29));
    expect(parseSignDate('20210229')).toBeNull();
  });

  it('parses timestamps and signDates exactly as the reference parser, on edge cases and random strings', () => {
    const edges = [
      '20201201T060000Z',
      '20200229T235959Z',
      '21000229T000000Z',
      '20000229T000000Z',
      '19000229T000000Z',
      '20210229T000000Z',
      '00991231T000000Z',
      '01000101T000000Z',
      '00000101T000000Z',
      '99991231T235959Z',
      '20201231T240000Z',
      '20201231T236000Z',
      '20201231T235960Z',
      '20200431T000000Z',
      '20200430T000000Z',
      '20200001T000000Z',
      '20200100T000000Z',
      '20201201t060000Z',
      '20201201T060000z',
      '2020120IT060000Z',
      '20201201T06000OZ',
      '20201201T060000Z\n',
      ' 20201201T060000Z',
      '２0201201T060000Z',
      '20201201T0600000Z',
      '2020121T060000Z',
      '19700101T000000Z',
      '19691231T235959Z',
      '-0201201T060000Z',
      '+0201201T060000Z',
      '2020:201T060000Z',
      '2020/201T060000Z',
    ];
    const alphabet = '0123456789TZ:/ -';
    const random: string[] = [];
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let i = 0; i < 5_000; i++) {
      // Mostly well-shaped strings with random digits, some with a random character swapped in.
      const y = String(next() % 10_000).padStart(4, '0');
      const two = (max: number) => String(next() % max).padStart(2, '0');
      let ts = `${y}${two(14)}${two(33)}T${two(26)}${two(62)}${two(62)}Z`;
      if (next() % 4 === 0) {
        const at = next() % ts.length;
        ts = ts.slice(0, at) + alphabet[next() % alphabet.length] + ts.slice(at + 1);
      }
      random.push(ts);
    }
    for (const ts of [...edges, ...random]) {
      expect(parseTimestamp(ts), ts).toBe(referenceParseTimestamp(ts));
      const date = ts.slice(0, 8);
      expect(parseSignDate(date), date).toBe(referenceParseTimestamp(`${date}T000000Z`));
    }
    expect(parseSignDate('2020120')).toBeNull();
    expect(parseSignDate('202012011')).toBeNull();
  });

  it('a signature under a derived signing key equals the one from the secret', () => {
    const req = { method: V.method, path: V.path, host: V.host, timestamp: V.timestamp, bodyHash: sha256Hex(V.body) };
    const key = signingKey(V.secret, '20201201');
    expect(signatureWithKey(key, '20201201', req).toString('hex')).toBe(V.authorization.slice(-64));
  });
});
