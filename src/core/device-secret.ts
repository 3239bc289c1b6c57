import { randomBytes } from 'node:crypto';

/** 512 random bits as 128 lowercase hex characters: the Catenis device secret format. */
export function newDeviceSecret(): string {
  return randomBytes(64).toString('hex');
}

/** Catenis' wording, typed back by the admin before the account's shared secret is replaced. */
export const SHARED_SECRET_RESET_CONFIRMATION = 'Yes, I do confirm it';
