import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/core/key-format.js';

describe('hashSecret', () => {
  it('is hex SHA-256, unchanged by the one-shot implementation (stored hashes must keep matching)', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
