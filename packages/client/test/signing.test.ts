import { describe, expect, it } from 'vitest';
import { deviceFetch, signRequest } from '../src/index.js';

// The test vector of shared/SIGNING.md, reproduced byte for byte through the public API.
const VECTOR = {
  deviceId: 'drc3XdxNtzoucpw9xiRp',
  secret:
    '4c1749c8e86f65e0a73e5fb19f2aa9e74a716bc22d7956bf3072b4bc3fbfe2a0d138ad0d4bcfee251e4e5f54d6e92b8fd4eb36958a7aeaeeb51e8d2fcc4552c3',
  method: 'POST',
  url: 'http://localhost:3000/api/0.10/messages/log',
  body: '{"message":"Test message","options":{"encoding":"utf8"}}',
  now: Date.UTC(2020, 11, 1, 6, 0, 0),
};
const AUTHORIZATION =
  'CTN1-HMAC-SHA256 Credential=drc3XdxNtzoucpw9xiRp/20201201/ctn1_request,Signature=af2b41b1786b812809cc01291fd324880f48017b96332192566006d2fd7eefb4';

describe('@keyward/client signing', () => {
  it('reproduces the SIGNING.md test vector', () => {
    const headers = signRequest({ ...VECTOR, headers: { 'content-type': 'application/json' } });
    expect(headers).toEqual({
      'content-type': 'application/json',
      'X-BCoT-Timestamp': '20201201T060000Z',
      Authorization: AUTHORIZATION,
    });
  });

  it('signs the same bytes whether the body is text or a Uint8Array', () => {
    const asBytes = signRequest({ ...VECTOR, body: new TextEncoder().encode(VECTOR.body) });
    expect(asBytes.Authorization).toBe(AUTHORIZATION);
  });

  it('deviceFetch sends the signature headers and the exact body', async () => {
    let seen: { url: string; init: RequestInit } | undefined;
    const fake = (async (url: string | URL, init?: RequestInit) => {
      seen = { url: String(url), init: init ?? {} };
      return new Response('{}');
    }) as typeof fetch;
    const send = deviceFetch({ deviceId: VECTOR.deviceId, secret: VECTOR.secret }, fake);
    await send(VECTOR.url, { method: 'POST', body: VECTOR.body, headers: { 'content-type': 'application/json' } });
    const headers = new Headers(seen?.init.headers);
    expect(headers.get('authorization')).toMatch(
      /^CTN1-HMAC-SHA256 Credential=drc3XdxNtzoucpw9xiRp\/\d{8}\/ctn1_request,Signature=[0-9a-f]{64}$/,
    );
    expect(headers.get('x-bcot-timestamp')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(headers.get('content-type')).toBe('application/json');
    expect(seen?.init.body).toBe(VECTOR.body);
  });

  it('deviceFetch refuses a body it cannot hash before sending', async () => {
    const send = deviceFetch({ deviceId: VECTOR.deviceId, secret: VECTOR.secret }, (async () => new Response()) as typeof fetch);
    await expect(send(VECTOR.url, { method: 'POST', body: new FormData() })).rejects.toThrow(TypeError);
  });
});
