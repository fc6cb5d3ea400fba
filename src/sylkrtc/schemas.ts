/**
 * Request schemas of the sylkRTC WebSocket API (`sylkrtc-websocket.md` §3–§5, §11) and the first
 * step of every frame: JSON → envelope → named request → validated, typed request. Nothing reaches a
 * handler unless its schema accepted it (the Fastify idea: the schema is the documentation).
 *
 * Validation rules of §1.12: unknown extra keys are ignored (stripped); types are strict (integers
 * reject booleans, which the original accepted — allowed by the spec); optional means absent or
 * null; AOR fields are normalised (§2.1) and rejected with "invalid SIP URI: VALUE"; unique string
 * arrays are de-duplicated. Error texts follow Appendix A (`Mandatory property ...`, `Invalid value
 * for ...`); clients never parse them.
 */
import { z } from 'zod';
import { parseTimestamp } from '../payload/datetime.js';
import { normalizeAor } from './aor.js';
import { Errors } from './protocol.js';

// ------------------------------------------------------------------ field types

const aor = z.string().transform((value, ctx) => {
  const n = normalizeAor(value);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `invalid SIP URI: ${value}` });
    return z.NEVER;
  }
  return n;
});

const transaction = z.string();
const optionalString = z.string().nullish();

const uniqueStrings = z.array(z.string()).transform((list) => [...new Set(list)]);

/** Parse an ISO 8601 instant as clients and the original emit it (§2.3); null when it is not one. */
export function parseIsoInstant(value: string): Date | null {
  return parseTimestamp(value)?.date ?? null;
}

// ------------------------------------------------------------------ requests

const base = <N extends string>(name: N) => ({ sylkrtc: z.literal(name), transaction });

export const PingRequest = z.object(base('ping'));

export const LookupPublicKeyRequest = z.object({ ...base('lookup-public-key'), uri: aor });

export const AccountAddRequest = z.object({
  ...base('account-add'),
  account: aor,
  password: z
    .string()
    .min(1, "the value's length must be between 1 and 9999 inclusive")
    .max(9999, "the value's length must be between 1 and 9999 inclusive"),
  display_name: optionalString,
  user_agent: optionalString,
  incoming_header_prefixes: uniqueStrings.nullish(),
});

export const AccountRemoveRequest = z.object({ ...base('account-remove'), account: aor });
export const AccountRegisterRequest = z.object({ ...base('account-register'), account: aor });
export const AccountUnregisterRequest = z.object({ ...base('account-unregister'), account: aor });

/** §4.5; `silent` optional (quirk 4), an empty token is accepted and ignored. */
export const AccountDeviceTokenRequest = z.object({
  ...base('account-devicetoken'),
  account: aor,
  token: z.string(),
  platform: z.string(),
  device: z.string(),
  silent: z.boolean().nullish(),
  app: z.string(),
});

export const AccountMessageRequest = z.object({
  ...base('account-message'),
  account: aor,
  uri: aor,
  message_id: z.string().min(1),
  content: z.string(),
  content_type: z.string().min(1),
  timestamp: z.string(),
  server_generated: z.boolean().nullish(),
});

export const DISPOSITION_REQUEST_STATES = ['delivered', 'failed', 'displayed', 'forbidden', 'error'] as const;

export const AccountDispositionNotificationRequest = z.object({
  ...base('account-disposition-notification'),
  account: aor,
  uri: aor,
  message_id: z.string(),
  state: z.enum(DISPOSITION_REQUEST_STATES),
  timestamp: z.string(),
});

export const AccountSyncConversationsRequest = z.object({
  ...base('account-sync-conversations'),
  account: aor,
  message_id: optionalString,
  since: optionalString,
  limit: z.number().int().nullish(),
});

export const AccountMarkConversationReadRequest = z.object({
  ...base('account-mark-conversation-read'),
  account: aor,
  contact: aor,
});

export const AccountRemoveMessageRequest = z.object({
  ...base('account-remove-message'),
  account: aor,
  message_id: z.string(),
  contact: aor,
});

export const AccountRemoveConversationRequest = z.object({
  ...base('account-remove-conversation'),
  account: aor,
  contact: aor,
});

// Address book (§11). Objects keep their `attributes` intact (quirk 18 fixed).
const attributes = z.record(z.string(), z.unknown());
const policySubscribe = z.object({ policy: z.string(), subscribe: z.boolean() });
const ContactUri = z.object({
  id: z.string(),
  uri: z.string(),
  type: optionalString,
  attributes: attributes.nullish(),
  default: z.boolean().nullish(),
});
export const Contact = z
  .object({
    id: z.string(),
    name: z.string(),
    uris: z.array(ContactUri),
    dialog: policySubscribe,
    presence: policySubscribe,
    attributes: attributes.nullish(),
    defaultUri: ContactUri.nullish(),
    default_uri: ContactUri.nullish(),
  })
  .transform(({ default_uri, defaultUri, attributes: attrs, ...rest }) => ({
    ...rest,
    attributes: attrs ?? {},
    ...((defaultUri ?? default_uri ?? rest.uris[0]) ? { defaultUri: defaultUri ?? default_uri ?? rest.uris[0] } : {}),
  }));
export const Group = z.object({
  id: z.string(),
  name: z.string(),
  attributes: attributes.nullish().transform((a) => a ?? {}),
  contacts: z.array(Contact),
});
export const Policy = z.object({
  id: z.string(),
  name: z.string(),
  uri: z.string(),
  dialog: policySubscribe,
  presence: policySubscribe,
  attributes: attributes.nullish().transform((a) => a ?? {}),
});

export const GroupMember = z.object({ groupId: z.string(), contactId: z.string() });

export const AccountFetchAddressbookRequest = z.object({ ...base('account-fetch-addressbook'), account: aor });

export const AccountUpdateAddressbookRequest = z.object({
  ...base('account-update-addressbook'),
  account: aor,
  action: z.enum(['add', 'update', 'delete']),
  // groupMember: react-native-sylkrtc 2.0 (`data` is {groupId, contactId}).
  type: z.enum(['contact', 'group', 'policy', 'groupMember']),
  data: z.record(z.string(), z.unknown()),
});

/** Every request we serve, by name. */
export const REQUEST_SCHEMAS = {
  ping: PingRequest,
  'lookup-public-key': LookupPublicKeyRequest,
  'account-add': AccountAddRequest,
  'account-remove': AccountRemoveRequest,
  'account-register': AccountRegisterRequest,
  'account-unregister': AccountUnregisterRequest,
  'account-devicetoken': AccountDeviceTokenRequest,
  'account-message': AccountMessageRequest,
  'account-disposition-notification': AccountDispositionNotificationRequest,
  'account-sync-conversations': AccountSyncConversationsRequest,
  'account-mark-conversation-read': AccountMarkConversationReadRequest,
  'account-remove-message': AccountRemoveMessageRequest,
  'account-remove-conversation': AccountRemoveConversationRequest,
  'account-fetch-addressbook': AccountFetchAddressbookRequest,
  'account-update-addressbook': AccountUpdateAddressbookRequest,
} as const;

export type RequestName = keyof typeof REQUEST_SCHEMAS;
export type RequestOf<N extends RequestName> = z.output<(typeof REQUEST_SCHEMAS)[N]>;
export type AnyRequest = { [N in RequestName]: RequestOf<N> }[RequestName];

/** Internal model names used in "Mandatory property ... of 'CLASS' object" (Appendix A). */
const CLASS_NAMES: Record<RequestName, string> = {
  ping: 'PingRequest',
  'lookup-public-key': 'LookupPublicKeyRequest',
  'account-add': 'AccountAddRequest',
  'account-remove': 'AccountRemoveRequest',
  'account-register': 'AccountRegisterRequest',
  'account-unregister': 'AccountUnregisterRequest',
  'account-devicetoken': 'AccountDeviceTokenRequest',
  'account-message': 'AccountMessageRequest',
  'account-disposition-notification': 'AccountDispositionNotificationRequest',
  'account-sync-conversations': 'AccountSyncConversationsRequest',
  'account-mark-conversation-read': 'AccountMarkConversationReadRequest',
  'account-remove-message': 'AccountRemoveMessageRequest',
  'account-remove-conversation': 'AccountRemoveConversationRequest',
  'account-fetch-addressbook': 'AccountFetchAddressbookRequest',
  'account-update-addressbook': 'AccountUpdateAddressbookRequest',
};

/** Call and conference requests (§12): recognised, always answered with an error. */
const CALL_REQUESTS = new Set([
  'session-create',
  'session-answer',
  'session-trickle',
  'session-update',
  'session-terminate',
  'session-message',
  'session-dtmf-info',
]);

function isCallRequest(name: string): boolean {
  return CALL_REQUESTS.has(name) || name.startsWith('session-');
}
function isConferenceRequest(name: string): boolean {
  return name.startsWith('videoroom-');
}

// ------------------------------------------------------------------ error texts

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

/** One human-readable text for the first issue (Appendix A wording). */
export function formatIssue(issue: z.core.$ZodIssue, className: string): string {
  const field = issue.path.map(String).join('.') || '?';
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `Mandatory property '${field}' of '${className}' object is missing`;
      if (input === null && issue.path.length === 1) return `Mandatory property '${field}' of '${className}' object is missing`;
      return `Invalid value for '${field}' property: ${reprValue(input)}`;
    case 'invalid_value':
      return `Invalid value for '${field}' property: ${reprValue(input)} (expected: ${joinChoices(issue.values)})`;
    case 'custom':
      return issue.message;
    case 'too_small':
    case 'too_big':
      return issue.message.startsWith('the value') ? issue.message : `Invalid value for '${field}' property: ${reprValue(input)}`;
    default:
      return `Invalid value for '${field}' property: ${reprValue(input)}`;
  }
}

// ------------------------------------------------------------------ frame decoding

export type DecodeResult =
  | { ok: true; request: AnyRequest }
  /** `transaction` is set when the frame carried a string one (the error can be matched). */
  | { ok: false; error: string; transaction?: string };

const MAX_NAME_ECHO = 64;

/**
 * Decode one text frame (§1.11). Recommended behaviour throughout: every malformed input gets an
 * `error`, with the `transaction` when the frame carried a string one, else without (clients ignore
 * those; a developer sees why). The original stays silent for non-JSON, non-objects, a missing
 * `sylkrtc` or `transaction`, unknown names, and crashes on a non-string `transaction`.
 */
export function decodeFrame(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: Errors.notJson };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: Errors.notObject };
  const obj = value as Record<string, unknown>;
  const tx = typeof obj.transaction === 'string' ? obj.transaction : undefined;
  const withTx = (error: string): DecodeResult => (tx === undefined ? { ok: false, error } : { ok: false, error, transaction: tx });
  const kind = obj.sylkrtc;
  if (typeof kind !== 'string') return withTx(Errors.noKind);
  if (isCallRequest(kind)) return withTx(Errors.calls);
  if (isConferenceRequest(kind)) return withTx(Errors.conferences);
  if (!Object.hasOwn(REQUEST_SCHEMAS, kind)) {
    const shown = kind.length > MAX_NAME_ECHO ? `${kind.slice(0, MAX_NAME_ECHO)}...` : kind;
    return withTx(Errors.unknownRequest(shown));
  }
  const name = kind as RequestName;
  const parsed = REQUEST_SCHEMAS[name].safeParse(obj, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const text = issue ? formatIssue(issue, CLASS_NAMES[name]) : Errors.internal;
    return withTx(text);
  }
  return { ok: true, request: parsed.data as AnyRequest };
}
