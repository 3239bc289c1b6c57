import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { AddressPolicy } from '../../src/core/address-policy.js';
import { generateKey } from '../../src/core/key-format.js';
import { githubCustomPattern, gitleaksRule, KEY_REGEX } from '../../src/core/leak-rules.js';
import { newWebhookSecret, signWebhook, verifyWebhookSignature } from '../../src/core/webhook-signature.js';
import { retryDelay } from '../../src/service/webhook-attempts.js';

describe('webhook signing (Standard Webhooks)', () => {
  it('signs what the reference library verifies, and nothing else', () => {
    const secret = newWebhookSecret();
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"type":"webhook.test","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
    const sig = signWebhook(secret, 'msg_1', ts, body);
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': sig };
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: 'webhook.test' });
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(verifyWebhookSignature(secret, 'msg_1', ts, body, `v1,bogus ${sig}`)).toBe(true);
    expect(verifyWebhookSignature(secret, 'msg_2', ts, body, sig)).toBe(false);
  });
});

describe('the SSRF address policy', () => {
  const strict = new AddressPolicy([]);
  it('refuses loopback, private, link-local, CGNAT, multicast, reserved and mapped forms of them', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ]) {
      expect(strict.permits(a), a).toBe(false);
    }
  });
  it('permits public addresses, and what the operator lists', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) expect(strict.permits(a), a).toBe(true);
    const allowing = new AddressPolicy(['127.0.0.1', '10.0.0.0/8']);
    expect(allowing.permits('127.0.0.1')).toBe(true);
    expect(allowing.permits('10.9.9.9')).toBe(true);
    expect(allowing.permits('127.0.0.2')).toBe(false);
    expect(allowing.isAllowedExplicitly('8.8.8.8')).toBe(false);
    expect(() => new AddressPolicy(['localhost'])).toThrow();
    expect(() => new AddressPolicy(['10.0.0.0/33'])).toThrow();
  });
});

describe('retry backoff', () => {
  it('doubles from the base with ±20 % jitter, capped', () => {
    const cfg = { retryBaseMs: 1000, retryMaxDelayMs: 60_000 };
    expect(retryDelay(1, cfg, () => 0.5)).toBe(1000);
    expect(retryDelay(2, cfg, () => 0.5)).toBe(2000);
    expect(retryDelay(5, cfg, () => 0.5)).toBe(16_000);
    expect(retryDelay(40, cfg, () => 0.5)).toBe(60_000);
    expect(retryDelay(3, cfg, () => 0)).toBe(3200);
    expect(retryDelay(3, cfg, () => 0.999_999)).toBe(4800);
  });
});

describe('leak rules (keyward leak-rules)', () => {
  it('find every generated key, alone or in text, and no longer base62 run', () => {
    const rule = new RegExp(`(?:^|[^0-9A-Za-z_])(${KEY_REGEX})(?:[^0-9A-Za-z]|$)`);
    for (let i = 0; i < 50; i++) {
      const key = generateKey();
      expect(rule.exec(key)?.[1]).toBe(key);
      expect(rule.exec(`API_KEY="${key}"\n`)?.[1]).toBe(key);
      expect(rule.test(`${key}X`)).toBe(false);
      expect(rule.test(`x${key}`)).toBe(false);
    }
    expect(gitleaksRule()).toContain(`regex = '''(?:^|[^0-9A-Za-z_])(${KEY_REGEX})(?:[^0-9A-Za-z]|$)'''`);
    expect(githubCustomPattern().secretFormat).toBe(KEY_REGEX);
  });
});
