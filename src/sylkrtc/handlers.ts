/**
 * One handler per sylkRTC request (`sylkrtc-websocket.md` §3–§5, §11). A handler receives a request
 * its zod schema already accepted, checks binding and authentication (Appendix A texts), calls the
 * messaging service and resolves when the request's effects are durable; the connection then sends
 * the `ack`. A handler may return a step to run right after the `ack` (events for this connection:
 * `registration-state`, `sync-conversations`, `lookup-public-key-event`, address-book events), which
 * reproduces the original's usual "ack before events" order (§1.10). Throwing `RequestError` (or a
 * `MessagingError` of kind invalid/unavailable) becomes the `error` text.
 */
import { splitAor } from './aor.js';
import { AddressBookError, type AddressBookObject } from './addressbook.js';
import { credentialsFor, type AuthEvent } from './auth.js';
import { Binding, RequestError, type Connection } from './connection.js';
import { domainAllowed, type SylkRtcContext } from './context.js';
import { parseDeviceTokenRequest, pushTokenRecord } from '../push/tokens.js';
import { logger } from '../util/logger.js';
import { Errors, MAX_BINDINGS_PER_CONNECTION, MAX_CONTENT_BYTES, SYNC_BATCH_BYTES, SYNC_DEFAULT_LIMIT, SYNC_MAX_LIMIT, type RegistrationState } from './protocol.js';
import { Contact, Group, Policy, formatIssue, parseIsoInstant, reprValue, type AnyRequest, type RequestName, type RequestOf } from './schemas.js';
import { cutBatch } from './sync-batch.js';
import type { JournalEntryJson } from '../messaging/events.js';

/** Entries read from the journal per service call while filling one `sync-conversations` batch. */
const SYNC_PAGE = 500;

const log = logger.child({ module: 'sylkrtc.handlers' });

type After = (() => void) | void;
type Handler<N extends RequestName> = (ctx: SylkRtcContext, conn: Connection, req: RequestOf<N>) => Promise<After>;

// ------------------------------------------------------------------ helpers

function bound(conn: Connection, aor: string, what?: 'remove' | 'register' | 'unregister' | 'token'): Binding {
  const b = conn.bindings.get(aor);
  if (!b) throw new RequestError(Errors.unknownAccount(aor, what));
  return b;
}

function authenticated(conn: Connection, aor: string): Binding {
  const b = bound(conn, aor);
  if (!b.authenticated) throw new RequestError(Errors.notAuthenticated);
  return b;
}

function sendState(b: Binding, state: RegistrationState, reason?: string): void {
  if (b.lastState === state && state !== 'failed') return;
  b.lastState = state;
  b.event('registration-state', reason === undefined ? { state } : { state, reason });
}

async function storePushToken(ctx: SylkRtcContext, b: Binding): Promise<void> {
  if (!b.deviceToken) return;
  await ctx.store.addPushToken(pushTokenRecord(b.aor, b.deviceToken, b.userAgent));
  b.tokenStored = true;
}

function checkTimestamp(field: string, value: string): void {
  if (parseIsoInstant(value) === null) throw new RequestError(`Invalid value for '${field}' property: ${reprValue(value)}`);
}

// ------------------------------------------------------------------ connection-level

const lookupPublicKey: Handler<'lookup-public-key'> = async (ctx, conn, req) => {
  const key = await ctx.service.lookupPublicKey(req.uri);
  return () => conn.send({ sylkrtc: 'lookup-public-key-event', uri: req.uri, public_key: key });
};

// ------------------------------------------------------------------ accounts (§4)

const accountAdd: Handler<'account-add'> = async (ctx, conn, req) => {
  if (conn.bindings.has(req.account)) throw new RequestError(Errors.alreadyAdded(req.account));
  const { domain } = splitAor(req.account);
  if (!domainAllowed(ctx, domain)) throw new RequestError(Errors.domainNotAllowed(domain));
  if (conn.bindings.size >= MAX_BINDINGS_PER_CONNECTION) throw new RequestError(Errors.tooManyAccounts);
  conn.bindings.set(req.account, new Binding(conn, req.account, req.password, req.display_name ?? null, req.user_agent ?? null));
};

const accountRemove: Handler<'account-remove'> = async (_ctx, conn, req) => {
  const b = bound(conn, req.account, 'remove');
  conn.bindings.delete(req.account);
  void conn.dropBinding(b);
};

/** Result of the authenticator for the session of generation `gen` (older sessions are ignored). */
async function onAuthEvent(ctx: SylkRtcContext, b: Binding, gen: number, ev: AuthEvent): Promise<void> {
  if (gen !== b.generation || b.connection.closed) return;
  if (ev.state === 'failed') {
    sendState(b, 'failed', ev.reason);
    return;
  }
  if (!b.authenticated) {
    // §4.3: the first success creates the account record ...
    try {
      await ctx.service.recordLogin(b.aor);
    } catch (err) {
      log.error({ err, aor: b.aor }, 'recording the login failed');
    }
  }
  // ... and stores the pending push token (again after an `account-unregister` removed it).
  if (b.deviceToken && !b.tokenStored) {
    try {
      await storePushToken(ctx, b);
    } catch (err) {
      log.error({ err, aor: b.aor }, 'storing the push token failed');
    }
  }
  if (gen !== b.generation || b.connection.closed) return;
  if (!b.authenticated) {
    b.authenticated = true;
    ctx.registry.add(b);
  }
  sendState(b, 'registered');
}

const accountRegister: Handler<'account-register'> = async (ctx, conn, req) => {
  const b = bound(conn, req.account, 'register');
  return () => {
    // A repeated register starts from scratch and reports registering/registered again (§4.3).
    b.lastState = null;
    sendState(b, 'registering');
    const gen = ++b.generation;
    const old = b.session;
    b.session = null;
    void (async () => {
      if (old) await old.stop({ keepBinding: true });
      if (gen !== b.generation || conn.closed) return;
      b.session = ctx.authenticator.start(
        { aor: b.aor, password: b.password, displayName: b.displayName, userAgent: b.userAgent, connectionId: conn.id, remoteAddress: conn.remoteAddress },
        (ev) => void onAuthEvent(ctx, b, gen, ev),
      );
    })();
  };
};

/** §4.4: drops the registration and the push token; the binding stays authenticated (quirk 3). */
const accountUnregister: Handler<'account-unregister'> = async (ctx, conn, req) => {
  const b = bound(conn, req.account, 'unregister');
  b.generation++;
  b.lastState = null;
  const s = b.session;
  b.session = null;
  if (s) void s.stop();
  if (b.deviceToken && b.tokenStored) {
    await ctx.store.removePushToken(b.aor, b.deviceToken.appId, b.deviceToken.deviceId);
    b.tokenStored = false;
  }
};

const accountDeviceToken: Handler<'account-devicetoken'> = async (ctx, conn, req) => {
  const b = bound(conn, req.account, 'token');
  const parsed = parseDeviceTokenRequest({ ...req, silent: req.silent ?? undefined });
  if (!parsed.ok) throw new RequestError(parsed.error);
  if (parsed.params === null) return; // empty token: accepted and ignored (§4.5)
  b.deviceToken = parsed.params;
  b.tokenStored = false;
  if (b.authenticated) await storePushToken(ctx, b);
};

// ------------------------------------------------------------------ messaging (§5)

const accountMessage: Handler<'account-message'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  checkTimestamp('timestamp', req.timestamp);
  if (Buffer.byteLength(req.content, 'utf8') > MAX_CONTENT_BYTES) throw new RequestError(Errors.contentTooLarge);
  await ctx.service.sendMessage({
    account: b.aor,
    origin: conn.id,
    transaction: req.transaction,
    uri: req.uri,
    message_id: req.message_id,
    content: req.content,
    content_type: req.content_type,
    timestamp: req.timestamp,
    displayName: b.displayName,
    credentials: credentialsFor(b.aor, b.password),
  });
};

const accountDisposition: Handler<'account-disposition-notification'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  checkTimestamp('timestamp', req.timestamp);
  await ctx.service.sendDispositionNotification({
    account: b.aor,
    origin: conn.id,
    uri: req.uri,
    message_id: req.message_id,
    state: req.state,
    timestamp: req.timestamp,
    displayName: b.displayName,
    credentials: credentialsFor(b.aor, b.password),
  });
};

const accountSync: Handler<'account-sync-conversations'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  if (req.since != null && parseIsoInstant(req.since) === null) throw new RequestError(Errors.invalidSince(req.since));
  if (req.limit != null && req.limit < 1) throw new RequestError(`Invalid value for 'limit' property: ${req.limit}`);
  const limit = Math.min(req.limit ?? SYNC_DEFAULT_LIMIT, SYNC_MAX_LIMIT);
  // Read in pages and stop once the frame budget is reached, so a large `limit` does not make us load
  // and serialize thousands of entries that the size cap would cut off anyway (§7.3).
  const messages: JournalEntryJson[] = [];
  let bytes = 0;
  let cursor = req.message_id ?? null;
  let since = req.since ?? null;
  for (;;) {
    const page = Math.min(SYNC_PAGE, limit - messages.length);
    const result = await ctx.service.syncConversations({ account: b.aor, message_id: cursor, since, limit: page });
    for (const e of result.messages) bytes += e.content.length + 200;
    messages.push(...result.messages);
    if (!result.more || result.messages.length === 0 || messages.length >= limit || bytes > SYNC_BATCH_BYTES) break;
    cursor = result.messages.at(-1)!.message_id;
    since = null;
  }
  const { json } = cutBatch(messages);
  const frame = `{"sylkrtc":"account-event","account":${JSON.stringify(b.aor)},"event":"sync-conversations","messages":${json}}`;
  return () => conn.sendRaw(frame);
};

const markRead: Handler<'account-mark-conversation-read'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  await ctx.service.markConversationRead({ account: b.aor, origin: conn.id, contact: req.contact });
};

const removeMessage: Handler<'account-remove-message'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  await ctx.service.removeMessage({ account: b.aor, origin: conn.id, contact: req.contact, message_id: req.message_id });
};

const removeConversation: Handler<'account-remove-conversation'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  await ctx.service.removeConversation({ account: b.aor, origin: conn.id, contact: req.contact });
};

// ------------------------------------------------------------------ address book (§11)

const fetchAddressbook: Handler<'account-fetch-addressbook'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  const addressbook = await ctx.addressBook.fetch(b.aor);
  return () => b.event('addressbook-fetched', { addressbook });
};

const OBJECT_SCHEMAS = { contact: Contact, group: Group, policy: Policy } as const;
const OBJECT_CLASSES = { contact: 'Contact', group: 'Group', policy: 'Policy' } as const;

const updateAddressbook: Handler<'account-update-addressbook'> = async (ctx, conn, req) => {
  const b = authenticated(conn, req.account);
  let object: AddressBookObject;
  if (req.action === 'delete') {
    // Quirk of §11.2: a delete needs only the id.
    if (typeof req.data.id !== 'string') throw new RequestError(`Mandatory property 'id' of '${OBJECT_CLASSES[req.type]}' object is missing`);
    object = { ...req.data, id: req.data.id };
  } else {
    const parsed = OBJECT_SCHEMAS[req.type].safeParse(req.data, { reportInput: true });
    if (!parsed.success) throw new RequestError(formatIssue(parsed.error.issues[0]!, OBJECT_CLASSES[req.type]));
    object = parsed.data as AddressBookObject;
  }
  let stored: AddressBookObject;
  try {
    stored = await ctx.addressBook.apply(b.aor, req.action, req.type, object);
  } catch (err) {
    const error = err instanceof AddressBookError ? err.message : Errors.internal;
    if (!(err instanceof AddressBookError)) log.error({ err }, 'address book update failed');
    return () => b.event('addressbook-update-failed', { type: req.type, action: req.action, error, id: object.id });
  }
  return () => {
    const members = { type: req.type, action: req.action, [req.type]: stored };
    for (const other of ctx.registry.bindings(b.aor)) if (other instanceof Binding) other.event('addressbook-updated', members);
    if (!ctx.registry.bindings(b.aor).has(b)) b.event('addressbook-updated', members);
  };
};

// ------------------------------------------------------------------ dispatch

const HANDLERS: { [N in Exclude<RequestName, 'ping'>]: Handler<N> } = {
  'lookup-public-key': lookupPublicKey,
  'account-add': accountAdd,
  'account-remove': accountRemove,
  'account-register': accountRegister,
  'account-unregister': accountUnregister,
  'account-devicetoken': accountDeviceToken,
  'account-message': accountMessage,
  'account-disposition-notification': accountDisposition,
  'account-sync-conversations': accountSync,
  'account-mark-conversation-read': markRead,
  'account-remove-message': removeMessage,
  'account-remove-conversation': removeConversation,
  'account-fetch-addressbook': fetchAddressbook,
  'account-update-addressbook': updateAddressbook,
};

/** Run the handler of a validated request; resolves the optional post-ack step. */
export async function handleRequest(ctx: SylkRtcContext, conn: Connection, req: AnyRequest): Promise<After> {
  if (req.sylkrtc === 'ping') return;
  const handler = HANDLERS[req.sylkrtc] as Handler<typeof req.sylkrtc>;
  return handler(ctx, conn, req as never);
}
