/**
 * The edge-proxy half of a flow (`standalone.md` §3: "the instance that holds a contact's connection
 * delivers to it"; RFC 5626 §5.3, RFC 3327): a MESSAGE that another instance sends here with a top
 * `Route` naming one of our flow tokens (`sip:<token>@<us>;lr`, the binding's path) is sent on to the
 * device over that flow, and the device's final status is the answer (the registrar hands one routed
 * to `hubToken`, our WebSocket connections, to the messaging pipeline instead, without its Route:
 * `withoutTopRoute`). The token is the credential:
 * 128 random bits that only the shared store tells. A token we do not hold (the connection closed,
 * the instance restarted) → `410 Gone`, and the sender removes the binding.
 */
import type { ResponseSpec, SipClient } from '../sip/api.js';
import { parseNameAddr } from '../sip/message/grammar.js';
import { Headers, type SipRequest } from '../sip/message/message.js';
import { parseSipUri } from '../sip/message/uri.js';
import type { FlowTable } from './flows.js';

/** Headers of the relayed request that are not copied (the stack writes its own). */
const NOT_COPIED = new Set(['via', 'route', 'record-route', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type', 'user-agent']);

/** What `flows.ts` tokens look like (16 random bytes, base64url). */
const TOKEN = /^[A-Za-z0-9_-]{22}$/;

/**
 * The flow token of the request's top Route (`sip:<token>@host;lr`), if it has one; a device's own
 * Route set (its outbound proxy, no user part) is not one.
 */
export function routedFlowToken(request: SipRequest): string | undefined {
  const route = request.headers.get('route');
  if (route === undefined) return undefined;
  const first = parseNameAddr(route.split(',')[0]!.trim());
  const uri = first ? parseSipUri(first.uri) : undefined;
  return uri?.user !== undefined && uri.params.has('lr') && TOKEN.test(uri.user) ? uri.user : undefined;
}

/** `request` without its top Route entry (the one naming our flow token). */
export function withoutTopRoute(request: SipRequest): SipRequest {
  const headers = new Headers();
  let dropped = false;
  for (const f of request.headers) {
    if (f.name === 'route' && !dropped) {
      dropped = true;
      const rest = f.value.split(',').slice(1).join(',').trim();
      if (rest !== '') headers.append('route', rest);
      continue;
    }
    headers.append(f.name, f.value);
  }
  return { ...request, headers };
}

/** Send `request` on to the device over the flow `token`; resolves with the answer for the sender. */
export async function relayToFlow(request: SipRequest, token: string, flows: FlowTable, client: SipClient): Promise<ResponseSpec> {
  const flow = flows.get(token);
  if (!flow) return { status: 410, reason: 'Gone (flow closed)' };
  const headers: [string, string][] = [];
  for (const f of request.headers) if (!NOT_COPIED.has(f.name) && !f.name.startsWith('proxy-')) headers.push([f.name, f.value]);
  const result = await client.send({
    method: 'MESSAGE',
    uri: request.uri,
    from: (request.headers.get('from') ?? '').replace(/;\s*tag=[^;]*/i, ''),
    to: request.headers.get('to') ?? '',
    headers,
    contentType: request.headers.get('content-type') ?? 'text/plain',
    body: request.body,
    target: { ...flow.remote, protocol: flow.protocol },
    ...(request.headers.get('call-id') !== undefined ? { callId: request.headers.get('call-id')! } : {}),
  });
  const { status, reason } = result.response;
  // A synthesized timeout/transport error is ours to report as such; the device's answer is passed on.
  return { status: status < 200 ? 500 : status, reason };
}
