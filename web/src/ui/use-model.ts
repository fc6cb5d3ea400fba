/** Re-render a component whenever the session's model changes. */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../session.js';

export function useModel(session: Session): number {
  const [version, setVersion] = useState(session.model.version);
  useEffect(() => session.model.subscribe(() => setVersion(session.model.version)), [session]);
  return version;
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** `14:05` today, `3 Dec` this year, `3 Dec 2024` before. */
export function shortTime(t: number): string {
  const d = new Date(t);
  const now = new Date();
  if (sameDay(d, now)) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}
