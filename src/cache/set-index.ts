/** Secondary indexes of a cache: which entries belong to an account, a user, an application. */
export type SetIndex = Map<string, Set<string>>;

export function addTo(index: SetIndex, id: string, entry: string): void {
  let set = index.get(id);
  if (set === undefined) {
    set = new Set();
    index.set(id, set);
  }
  set.add(entry);
}

export function removeFrom(index: SetIndex, id: string, entry: string): void {
  const set = index.get(id);
  if (set === undefined) return;
  set.delete(entry);
  if (set.size === 0) index.delete(id);
}
