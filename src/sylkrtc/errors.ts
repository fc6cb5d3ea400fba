/**
 * The catalogue of error replies of the sylkRTC API (`sylkrtc-websocket.md` Appendix A): every text an
 * `error` frame may carry, the exception a request handler throws to send one ({@link RequestError}),
 * and the rendering of schema issues (`Mandatory property ...`, `Invalid value for ...`). Clients
 * show these texts but never parse them; keep the original's wording where one exists.
 */
import type { z } from 'zod';
import { MAX_BINDINGS_PER_CONNECTION, MAX_CONTENT_BYTES } from './protocol.js';

/** Appendix A texts. */
export const Errors = {
  alreadyAdded: (aor: string) => `Account ${aor} already added`,
  domainNotAllowed: (domain: string) => `SIP domain not allowed: ${domain}`,
  unknownAccount: (aor: string, what?: 'remove' | 'register' | 'unregister' | 'token') =>
    what ? `Unknown account specified for ${what}: ${aor}` : `Unknown account specified: ${aor}`,
  notAuthenticated: 'Account not authenticated',
  internal: 'Internal error',
  tooManyAccounts: `Too many accounts on this connection (at most ${MAX_BINDINGS_PER_CONNECTION})`,
  tooManyPending: 'Too many pending requests',
  timedOut: 'Request timed out',
  notJson: 'Invalid request: the frame is not valid JSON',
  notObject: 'Invalid request: expected a JSON object',
  noKind: "Invalid request: missing 'sylkrtc' member",
  noTransaction: "Invalid request: missing 'transaction' member",
  unknownRequest: (name: string) => `Unknown request: ${name}`,
  calls: 'Calls are not supported by this server',
  conferences: 'Conferences are not supported by this server',
  binaryFrame: 'Invalid request: binary frames are not supported',
  contentTooLarge: `Content too large (at most ${MAX_CONTENT_BYTES} bytes)`,
  invalidSince: (v: string) => `Invalid since: ${v}`,
  invalidValue: (field: string, value: unknown) => `Invalid value for '${field}' property: ${reprValue(value)}`,
  missingProperty: (field: string, className: string) => `Mandatory property '${field}' of '${className}' object is missing`,
} as const;

/** A handler's refusal that becomes the `error` text as is. */
export class RequestError extends Error {}

/** Python-repr-like rendering of an offending value (Appendix A), bounded. */
export function reprValue(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  else if (value === null) s = 'None';
  else if (value === true) s = 'True';
  else if (value === false) s = 'False';
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function joinChoices(values: readonly unknown[]): string {
  const list = values.map(String).sort();
  if (list.length <= 1) return list.join('');
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

/** One human-readable text for the first issue of a schema (Appendix A wording). */
export function formatIssue(issue: z.core.$ZodIssue, className: string): string {
  const field = issue.path.map(String).join('.') || '?';
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return Errors.missingProperty(field, className);
      if (input === null && issue.path.length === 1) return Errors.missingProperty(field, className);
      return Errors.invalidValue(field, input);
    case 'invalid_value':
      return `${Errors.invalidValue(field, input)} (expected: ${joinChoices(issue.values)})`;
    case 'custom':
      return issue.message;
    case 'too_small':
    case 'too_big':
      return issue.message.startsWith('the value') ? issue.message : Errors.invalidValue(field, input);
    default:
      return Errors.invalidValue(field, input);
  }
}
