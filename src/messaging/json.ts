/**
 * JSON text in the original's formatting (Python `json.dumps` defaults: `", "` and `": "` separators),
 * used for the JSON contents the server writes into journal entries and notification bodies
 * (`journal-storage.md` §2.1). Clients parse them, so this is cosmetic compatibility only.
 */
export function pyJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return '[' + value.map(pyJson).join(', ') + ']';
  return (
    '{' +
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ') +
    '}'
  );
}
