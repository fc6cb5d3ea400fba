/**
 * MESSAGEs sent directly by devices in standalone mode (`standalone.md` §3): the request must come
 * from the account in its `From`. Authenticated either by the connection — a TCP/TLS/WebSocket
 * connection over which that account registered with valid credentials (RFC 5626 flows: the
 * connection is the authenticated session, as an XMPP stream is) — or else by digest: `407` challenge
 * on the From account (`digest-auth.ts`, guessing limits included); credentials of another account,
 * or a From other than the account(s) the connection authenticated (without credentials) → `403`. Then the request is handed on as the SIP proxy of proxy mode would (`sip-messaging.md` §2):
 * the `X-Sylk-*` and replication headers a device may have put in are removed, `X-Sylk-From-Sip: yes`
 * (the sender's journal gets its copy) and `X-Sylk-App: webrtcgateway` (this application) added.
 */
import { parseAccountAor } from '../util/aor.js';
import type { IncomingRequest, ResponseSpec } from '../sip/api.js';
import { parseNameAddr } from '../sip/message/grammar.js';
import { Headers, type SipRequest } from '../sip/message/message.js';
import type { DigestAuthenticator } from './digest-auth.js';
import type { FlowTable } from './flows.js';
import type { DeviceOrigin } from './origin.js';

export type GateOutcome = { ok: true; request: SipRequest; origin: DeviceOrigin } | { ok: false; response: ResponseSpec };

/** Headers only servers may set (`sip-messaging.md` §2: the proxy removes them from devices' requests). */
function isServerHeader(name: string): boolean {
  return name.startsWith('x-sylk-') || name === 'x-replicated-message' || name === 'proxy-authorization';
}

export async function gateDeviceMessage(
  incoming: IncomingRequest,
  auth: DigestAuthenticator,
  flows: FlowTable,
  servesDomain: (domain: string) => boolean,
): Promise<GateOutcome> {
  const { request, source } = incoming;
  const from = parseNameAddr(request.headers.get('from') ?? '');
  const account = from ? parseAccountAor(from.uri) : null;
  if (!account) return { ok: false, response: { status: 400, reason: 'Invalid From URI' } };
  if (!servesDomain(account.domain)) return { ok: false, response: { status: 403, reason: 'Forbidden (sender domain not served here)' } };
  let flow = flows.connectionAuthenticates(incoming.flow?.connection, account.aor);
  const registered = flows.connectionAccounts(incoming.flow?.connection);
  if (!flow && registered && registered.size > 0 && !request.headers.has('proxy-authorization')) {
    // The connection is authenticated, as another account: a From that is not it is refused.
    return { ok: false, response: { status: 403, reason: 'Forbidden (From is not the authenticated account)' } };
  }
  if (!flow) {
    const verdict = await auth.authenticate('proxy', request, account.aor, source.address);
    if (!verdict.ok) return { ok: false, response: verdict.response };
    flow = flows.flowOf(incoming.flow, source);
  }
  const headers = new Headers();
  for (const f of request.headers) if (!isServerHeader(f.name)) headers.append(f.name, f.value);
  headers.append('x-sylk-from-sip', 'yes');
  headers.append('x-sylk-app', 'webrtcgateway');
  const rewritten: SipRequest = { ...request, headers };
  return { ok: true, request: rewritten, origin: { aor: account.aor, flow: flow.token, request: rewritten } };
}
