/**
 * REGISTER processing (`standalone.md` §3; RFC 3261 §10.3, RFC 5626 §6): after the digest check of
 * the To account (`digest-auth.ts`), the Contact list is applied to the account's bindings in the
 * store and the `200` lists every current contact with its remaining time.
 *
 * - Expiry: the contact's `expires` parameter, else the `Expires` header, else 3600 s; a non-zero
 *   value under 60 s → `423 Interval Too Brief` with `Min-Expires: 60` (nothing changed); above
 *   7200 s it is lowered to 7200 (and the `200` says so); 0 removes the binding.
 * - `Contact: *` with `Expires: 0` removes every binding of the account; `*` otherwise, or mixed
 *   with other contacts → `400`.
 * - A binding is identified by `+sip.instance` and `reg-id` when the device asks for outbound (RFC
 *   5626 §6: the `200` then carries `Require: outbound`), else by its Contact URI. A REGISTER with the
 *   Call-ID of a binding and a CSeq not above it is out of order → `500` (§10.3 step 7).
 * - Every binding records this instance and the flow the REGISTER came over (`flows.ts`), so
 *   requests to the device take the same connection, or the same UDP source address.
 */
import { parseAccountAor } from '../util/aor.js';
import type { IncomingRequest, ResponseSpec } from '../sip/api.js';
import { parseContacts, parseCSeq, parseNameAddr, type ContactEntry } from '../sip/message/grammar.js';
import { parseUri, uriEquals } from '../sip/message/uri.js';
import type { Binding, BindingStore } from '../journal/bindings.js';
import type { DigestAuthenticator } from './digest-auth.js';
import type { FlowTable } from './flows.js';

export const MIN_EXPIRES = 60;
export const DEFAULT_EXPIRES = 3600;
export const MAX_EXPIRES = 7200;

export interface RegisterDeps {
  bindings: BindingStore;
  auth: DigestAuthenticator;
  flows: FlowTable;
  instanceId: string;
  /** `host:port;transport=x` where the other instances reach this one (the flows' path). */
  instanceHop: () => string;
  now?: () => Date;
  /** Is this a domain we serve (`[General] sip_domains`, `*` = any)? */
  servesDomain: (domain: string) => boolean;
}

const bad = (reason: string): ResponseSpec => ({ status: 400, reason });

/** The binding key of a contact (see module comment). */
function bindingKey(c: ContactEntry): { key: string; sipInstance: string | null; regId: number | null } {
  const instance = c.params.get('+sip.instance');
  const regIdText = c.params.get('reg-id');
  const regId = regIdText != null && /^\d{1,9}$/.test(regIdText) ? Number(regIdText) : null;
  if (instance != null && instance !== '' && regId !== null) {
    const sipInstance = instance.replace(/^"|"$/g, '');
    return { key: `${sipInstance};reg-id=${regId}`, sipInstance, regId };
  }
  return { key: c.uri, sipInstance: instance ? instance.replace(/^"|"$/g, '') : null, regId: null };
}

export class RegisterHandler {
  private readonly now: () => Date;

  constructor(private readonly deps: RegisterDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async handle(incoming: IncomingRequest): Promise<ResponseSpec> {
    const { request, source } = incoming;
    const to = parseNameAddr(request.headers.get('to') ?? '');
    const account = to ? parseAccountAor(to.uri) : null;
    if (!account) return bad('Invalid To URI');
    if (!this.deps.servesDomain(account.domain)) return { status: 404, reason: 'Not Found (domain not served here)' };
    const auth = await this.deps.auth.authenticate('register', request, account.aor, source.address);
    if (!auth.ok) return auth.response;
    const aor = account.aor;

    const contacts = parseContacts(request.headers.getAll('contact'));
    if (contacts === undefined) return bad('Malformed Contact header');
    const expiresHeader = request.headers.get('expires');
    let headerExpires: number | undefined;
    if (expiresHeader !== undefined) {
      if (!/^\s*\d{1,10}\s*$/.test(expiresHeader)) return bad('Malformed Expires header');
      headerExpires = Number(expiresHeader);
    }
    const { bindings } = this.deps;
    const now = this.now();
    if (contacts === '*') {
      if (request.headers.getAll('contact').length > 1) return bad('Contact * must be alone');
      if (headerExpires !== 0) return bad('Contact * requires Expires: 0');
      await bindings.removeBindings(aor);
      return this.ok([], now, false);
    }

    const callId = request.headers.get('call-id') ?? '';
    const cseq = parseCSeq(request.headers.get('cseq') ?? '')?.seq ?? 0;
    const plan: { contact: ContactEntry; expires: number; id: ReturnType<typeof bindingKey> }[] = [];
    for (const c of contacts) {
      const uri = parseUri(c.uri);
      if (!uri || (uri.kind !== 'sip' && uri.kind !== 'tel')) return bad('Unsupported Contact URI');
      const expires = c.expires ?? headerExpires ?? DEFAULT_EXPIRES;
      if (expires !== 0 && expires < MIN_EXPIRES) {
        return { status: 423, reason: 'Interval Too Brief', headers: [['Min-Expires', String(MIN_EXPIRES)]] };
      }
      plan.push({ contact: c, expires: Math.min(expires, MAX_EXPIRES), id: bindingKey(c) });
    }
    const existing = await bindings.listBindings(aor, now);
    if (plan.length === 0) return this.ok(existing, now, false); // a query (§10.2.3)

    for (const p of plan) {
      const old = existing.find((b) => b.key === p.id.key || (p.id.regId === null && b.regId === null && uriEquals(b.contact, p.contact.uri)));
      if (old && old.callId === callId && old.cseq >= cseq) return { status: 500, reason: 'Out of order REGISTER (CSeq not above the binding)' };
      // An equivalent URI written differently updates the same binding (§10.3 step 7, §19.1.4).
      if (old) p.id.key = old.key;
    }
    const flow = this.deps.flows.flowOf(incoming.flow, source);
    if (flow.connection) flow.accounts.add(aor);
    const userAgent = request.headers.get('user-agent') ?? null;
    let outbound = false;
    // The bindings after this request, for the 200 (computed here rather than read back).
    const current = new Map(existing.map((b) => [b.key, b]));
    for (const p of plan) {
      if (p.expires === 0) {
        await bindings.removeBinding(aor, p.id.key);
        current.delete(p.id.key);
        continue;
      }
      if (p.id.regId !== null) outbound = true;
      const binding: Binding = {
        aor,
        key: p.id.key,
        contact: p.contact.uri,
        callId,
        cseq,
        expiresAt: new Date(now.getTime() + p.expires * 1000),
        instanceId: this.deps.instanceId,
        flow: flow.token,
        path: `sip:${flow.token}@${this.deps.instanceHop()};lr`,
        transport: flow.protocol,
        sourceAddress: flow.remote.address,
        sourcePort: flow.remote.port,
        sipInstance: p.id.sipInstance,
        regId: p.id.regId,
        q: p.contact.q ?? null,
        userAgent,
      };
      await bindings.putBinding(binding);
      current.set(binding.key, binding);
    }
    const supported = request.headers.getAll('supported').join(',').toLowerCase();
    return this.ok([...current.values()], now, outbound && /\boutbound\b/.test(supported));
  }

  /** `200` with every current binding as a Contact with its remaining seconds (§10.3 step 8). */
  private ok(current: readonly Binding[], now: Date, outbound: boolean): ResponseSpec {
    const headers: [string, string][] = current.map((b) => [
      'Contact',
      `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt.getTime() - now.getTime()) / 1000))}${b.sipInstance !== null ? `;+sip.instance="${b.sipInstance}"` : ''}${b.regId !== null ? `;reg-id=${b.regId}` : ''}`,
    ]);
    if (outbound) headers.push(['Require', 'outbound']);
    headers.push(['Date', now.toUTCString()]);
    return { status: 200, reason: 'OK', headers };
  }
}
