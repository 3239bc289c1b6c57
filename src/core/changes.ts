/**
 * What changed in the store, announced after the transaction commits, so caches (the
 * verification cache, other nodes through a broker) can drop what they hold.
 */
export type Change =
  | { type: 'key'; keyId: string; keyHash?: string }
  | { type: 'application'; applicationId: string }
  | { type: 'user'; userId: string }
  | { type: 'account'; accountId: string }
  | { type: 'device'; deviceId: string };

export type ChangeListener = (change: Change) => void;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(change: Change): void {
    for (const l of this.listeners) l(change);
  }
}
