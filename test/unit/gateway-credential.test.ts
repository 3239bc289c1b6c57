import { describe, expect, it } from 'vitest';
import { parseGatewayCredential } from '../../src/auth/gateway-credential.js';

describe('gateway credential schemes', () => {
  it('Bearer and the Senet-style raw key both carry a key', () => {
    expect(parseGatewayCredential('Bearer kw_abc')).toEqual({ scheme: 'key', key: 'kw_abc' });
    expect(parseGatewayCredential('bearer   kw_abc ')).toEqual({ scheme: 'key', key: 'kw_abc' });
    expect(parseGatewayCredential('kw_abc')).toEqual({ scheme: 'key', key: 'kw_abc' });
  });

  it('no header, CTN1 signatures and other schemes are told apart', () => {
    expect(parseGatewayCredential(undefined)).toEqual({ scheme: 'none' });
    expect(parseGatewayCredential('   ')).toEqual({ scheme: 'none' });
    const ctn1 = 'CTN1-HMAC-SHA256 Credential=dev_1/20260101/ctn1_request, Signature=ab';
    expect(parseGatewayCredential(ctn1)).toEqual({ scheme: 'ctn1', header: ctn1 });
    expect(parseGatewayCredential('Basic dXNlcjpwYXNz')).toEqual({ scheme: 'unsupported', name: 'Basic' });
    expect(parseGatewayCredential('Bearer a b')).toEqual({ scheme: 'unsupported', name: 'Bearer' });
  });
});
