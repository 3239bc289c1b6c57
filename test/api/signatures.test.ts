import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatTimestamp, sha256Hex } from '../../src/core/ctn1.js';
import { secretAad } from '../../src/crypto/secret-box.js';
import { insertDevice } from '../../src/store/repos/devices.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';
import { checkCode, createDevice, signedCheck } from '../signing.js';

const VERIFY = '/v1/signatures/verify';
const DAY = 86_400_000;
// A whole second, so formatted timestamps round-trip exactly.
const fixedNow = () => Math.floor(Date.now() / 1000) * 1000;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`signature verification [${dialect.name}]`, () => {
    let h: Harness;
    const realNow = Date.now;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterEach(() => {
      h.kw.ctx.now = realNow;
    });
    afterAll(async () => h?.close());

    const verify = async (body: unknown) => {
      const res = await h.call('POST', VERIFY, { body });
      expect(res.status).toBe(200);
      return res.body as { valid: boolean; code: string; deviceId: string | null; accountId: string | null };
    };

    it('accepts the SIGNING.md test vector end to end', async () => {
      const t = await h.tenant();
      const secret =
        '4c1749c8e86f65e0a73e5fb19f2aa9e74a716bc22d7956bf3072b4bc3fbfe2a0d138ad0d4bcfee251e4e5f54d6e92b8fd4eb36958a7aeaeeb51e8d2fcc4552c3';
      const at = Date.UTC(2020, 11, 1, 6, 0, 0);
      await insertDevice(
        h.kw.ctx.store.db,
        {
          id: 'drc3XdxNtzoucpw9xiRp',
          accountId: t.accountId,
          name: 'Catenis vector',
          status: 'active',
          secretSource: 'own',
          createdAt: at,
          updatedAt: at,
          lastUsedAt: null,
          secretUpdatedAt: at,
        },
        h.kw.ctx.secrets.seal(secret, secretAad.device('drc3XdxNtzoucpw9xiRp')),
      );
      h.kw.ctx.now = () => at;
      const result = await verify({
        method: 'POST',
        path: '/api/0.10/messages/log',
        host: 'localhost:3000',
        timestamp: '20201201T060000Z',
        authorization:
          'CTN1-HMAC-SHA256 Credential=drc3XdxNtzoucpw9xiRp/20201201/ctn1_request,Signature=af2b41b1786b812809cc01291fd324880f48017b96332192566006d2fd7eefb4',
        bodyHash: sha256Hex('{"message":"Test message","options":{"encoding":"utf8"}}'),
      });
      expect(result).toEqual({ valid: true, code: 'VALID', deviceId: 'drc3XdxNtzoucpw9xiRp', accountId: t.accountId });
    });

    it('MISSING_HEADERS when either header is absent or empty', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const ok = signedCheck(d.id, d.secret as string);
      for (const body of [
        { ...ok, timestamp: undefined },
        { ...ok, authorization: undefined },
        { ...ok, timestamp: '' },
        { ...ok, authorization: '' },
      ]) {
        expect(await verify(body)).toEqual({ valid: false, code: 'MISSING_HEADERS', deviceId: null, accountId: null });
      }
    });

    it('BAD_TIMESTAMP for a malformed or impossible timestamp', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const ok = signedCheck(d.id, d.secret as string);
      for (const timestamp of ['2020-12-01T06:00:00Z', '20201301T060000Z', `${ok.timestamp} `, 'now', ok.timestamp.toLowerCase()]) {
        expect((await verify({ ...ok, timestamp })).code).toBe('BAD_TIMESTAMP');
      }
    });

    it('TIMESTAMP_OUT_OF_WINDOW beyond ±300 s; inside the window the signature is valid', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const now = fixedNow();
      h.kw.ctx.now = () => now;
      const secret = d.secret as string;
      // Today's signDate throughout, so the test holds even when ±5 minutes crosses midnight.
      const signDate = formatTimestamp(now).slice(0, 8);
      expect(await checkCode(h, d.id, secret, { now: now - 301_000, signDate })).toBe('TIMESTAMP_OUT_OF_WINDOW');
      expect(await checkCode(h, d.id, secret, { now: now + 301_000, signDate })).toBe('TIMESTAMP_OUT_OF_WINDOW');
      expect(await checkCode(h, d.id, secret, { now: now - 300_000, signDate })).toBe('VALID');
      expect(await checkCode(h, d.id, secret, { now: now + 300_000, signDate })).toBe('VALID');
    });

    it('MALFORMED_AUTHORIZATION for a header that is not CTN1; a space after the comma is fine', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const ok = signedCheck(d.id, d.secret as string);
      for (const authorization of [
        'Bearer kw_abc',
        ok.authorization.replace('CTN1-HMAC-SHA256', 'CTN2-HMAC-SHA256'),
        ok.authorization.replace(',Signature', ';Signature'),
        ok.authorization.slice(0, -2),
        ok.authorization.replace(/Credential=\w{20}/, 'Credential=short'),
        ok.authorization.replace(/\/\d{8}\//, '/20210230/'),
      ]) {
        expect((await verify({ ...ok, authorization })).code, authorization).toBe('MALFORMED_AUTHORIZATION');
      }
      expect((await verify({ ...ok, authorization: ok.authorization.replace(',Signature', ', Signature') })).code).toBe('VALID');
    });

    it('SIGN_DATE_OUT_OF_RANGE unless today is within [signDate, signDate + 7 days)', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const now = fixedNow();
      h.kw.ctx.now = () => now;
      const dateOf = (ms: number) => formatTimestamp(ms).slice(0, 8);
      const secret = d.secret as string;
      expect(await checkCode(h, d.id, secret, { now, signDate: dateOf(now - 6 * DAY) })).toBe('VALID');
      expect(await checkCode(h, d.id, secret, { now, signDate: dateOf(now - 7 * DAY) })).toBe('SIGN_DATE_OUT_OF_RANGE');
      expect(await checkCode(h, d.id, secret, { now, signDate: dateOf(now + DAY) })).toBe('SIGN_DATE_OUT_OF_RANGE');
      expect(await checkCode(h, d.id, secret, { now, signDate: dateOf(now) })).toBe('VALID');
    });

    it('INVALID_SIGNATURE is the same answer for an unknown device and a wrong signature', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const wrongSecret = await verify(signedCheck(d.id, 'f'.repeat(128)));
      const unknown = await verify(signedCheck('Unknown_device_00000', d.secret as string));
      const expected = { valid: false, code: 'INVALID_SIGNATURE', deviceId: null, accountId: null };
      expect(wrongSecret).toEqual(expected);
      expect(unknown).toEqual(expected);
      const ok = signedCheck(d.id, d.secret as string);
      for (const tampered of [
        { ...ok, method: 'GET' },
        { ...ok, path: `${ok.path}&x=1` },
        { ...ok, host: 'evil.example.com:8443' },
        { ...ok, bodyHash: sha256Hex('other body') },
      ]) {
        expect(await verify(tampered)).toEqual(expected);
      }
    });

    it('DEVICE_DISABLED only for a correct signature: a wrong one stays INVALID_SIGNATURE', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${d.id}`, { token: t.adminToken, body: { status: 'disabled' } });
      expect(await verify(signedCheck(d.id, d.secret as string))).toEqual({
        valid: false,
        code: 'DEVICE_DISABLED',
        deviceId: d.id,
        accountId: t.accountId,
      });
      expect((await verify(signedCheck(d.id, 'a'.repeat(128)))).code).toBe('INVALID_SIGNATURE');
    });

    it('REPLAYED for the same (device, signature) within the window; fresh signatures pass', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const req = signedCheck(d.id, d.secret as string);
      expect((await verify(req)).code).toBe('VALID');
      expect(await verify(req)).toEqual({ valid: false, code: 'REPLAYED', deviceId: d.id, accountId: t.accountId });
      expect(await checkCode(h, d.id, d.secret as string)).toBe('VALID');
    });

    it('a rejected attempt does not burn the signature for its device', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const req = signedCheck(d.id, d.secret as string);
      expect((await verify({ ...req, bodyHash: sha256Hex('x') })).code).toBe('INVALID_SIGNATURE');
      expect((await verify(req)).code).toBe('VALID');
    });

    it('an omitted bodyHash means an empty body; hex case does not matter', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const { bodyHash: _omit, ...empty } = signedCheck(d.id, d.secret as string, { body: '', method: 'GET' });
      expect((await verify(empty)).code).toBe('VALID');
      const upper = signedCheck(d.id, d.secret as string);
      expect((await verify({ ...upper, bodyHash: upper.bodyHash.toUpperCase() })).code).toBe('VALID');
    });

    it('fuzz: garbage headers and bodies never get a 5xx, never a valid answer', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      let seed = 0x2f6b3a1d;
      const rand = () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) / 0x100000000;
      };
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
      const alphabet = 'CTN1-HMAC-SHA256 Credential=/ctn1_request,Signature=0123456789abcdefZT\u0000\u00e9\u{1f600}\n\r\t"\\%';
      const garbage = (max: number) => Array.from({ length: Math.floor(rand() * max) }, () => pick([...alphabet])).join('');
      const mutate = (s: string): string => {
        const chars = [...s];
        const n = 1 + Math.floor(rand() * 4);
        for (let i = 0; i < n; i++) {
          const at = Math.floor(rand() * (chars.length + 1));
          const op = rand();
          if (op < 0.33) chars.splice(at, 1);
          else if (op < 0.66) chars.splice(at, 0, pick([...alphabet]));
          else chars[at] = pick([...alphabet]);
        }
        const out = chars.join('');
        // A mutation can leave the value meaning the same (a character replaced by itself, or the
        // space Catenis allows after the comma): that would be a genuine request, so mutate again.
        const same = (a: string) => a.replace(', Signature=', ',Signature=').toLowerCase();
        return same(out) === same(s) ? mutate(s) : out;
      };
      for (let i = 0; i < 300; i++) {
        const ok = signedCheck(d.id, d.secret as string);
        const body = pick([
          () => ({ ...ok, authorization: mutate(ok.authorization) }),
          () => ({ ...ok, timestamp: mutate(ok.timestamp) }),
          () => ({ ...ok, authorization: garbage(200), timestamp: garbage(30) }),
          () => ({
            ...ok,
            authorization: `CTN1-HMAC-SHA256 Credential=${garbage(40)}/${garbage(10)}/ctn1_request,Signature=${garbage(70)}`,
          }),
          () => ({ ...ok, method: garbage(20), path: garbage(100), host: garbage(50) }),
          () => ({ ...ok, bodyHash: garbage(70) }),
          () => ({ ...ok, authorization: 'x'.repeat(5000) }),
          () => ({ ...ok, timestamp: 12345, authorization: null }),
          () => garbage(100),
          () => [ok],
          () => null,
        ])();
        const res = await h.kw.app.inject({
          method: 'POST',
          url: VERIFY,
          headers: { 'content-type': 'application/json' },
          payload: typeof body === 'string' ? body : JSON.stringify(body),
        });
        expect(res.statusCode, `input ${JSON.stringify(body)} -> ${res.body}`).toBeLessThan(500);
        if (res.statusCode === 200) expect(JSON.parse(res.body).valid).toBe(false);
      }
    });
  });
}
