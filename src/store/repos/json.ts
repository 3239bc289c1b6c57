/** Arrays are stored as JSON text so both dialects share one column type. */
export function parseList(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.map(String) : [];
}

export function toList(values: readonly string[]): string {
  return JSON.stringify([...values]);
}
