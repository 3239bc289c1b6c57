import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/auth/login-throttle.js';

describe('LoginThrottle', () => {
  it('allows again once the oldest failure leaves the window, and resets on success', () => {
    const t = new LoginThrottle(3, 1000);
    for (const at of [0, 100, 200]) t.fail('a@x', at);
    expect(t.retryAfter('a@x', 300)).toBe(700);
    expect(t.retryAfter('b@x', 300)).toBe(0);
    expect(t.retryAfter('a@x', 1001)).toBe(0);
    t.fail('a@x', 1001);
    expect(t.retryAfter('a@x', 1002)).toBeGreaterThan(0);
    t.succeed('a@x');
    expect(t.retryAfter('a@x', 1002)).toBe(0);
  });

  it('keeps memory bounded under a spray of distinct emails', () => {
    const t = new LoginThrottle(1, 1000, 10);
    for (let i = 0; i < 100; i++) t.fail(`u${i}@x`, 0);
    expect(t.retryAfter('u0@x', 1)).toBe(0);
    expect(t.retryAfter('u99@x', 1)).toBeGreaterThan(0);
  });
});
