/**
 * Sending a request to a registered device (`standalone.md` §3 delivery): to every binding of an
 * account, each over its flow. A flow of this instance: the connection the device registered over
 * (TCP, TLS, SIP over WebSocket), or its UDP source address (`received`/`rport`). A flow of another
 * instance: to that instance with a `Route` to the binding's path (the flow token), which relays it
 * (`edge.ts`) — the instance holding the connection delivers. Best effort: a failure is logged and
 * reported, never retried (the journal is the truth; devices catch up by sync).
 *
 * A binding whose connection is gone (closed here, or unknown to its instance: `410`) is
 * removed from the store.
 */
import type { OutgoingRequest, SipClient } from '../sip/api.js';
import { parseSipUri } from '../sip/message/uri.js';
import type { Logger } from '../util/logger.js';
import type { Binding, BindingStore } from '../journal/bindings.js';
import type { FlowTable } from './flows.js';

/** What to send; the Request-URI is the contact, the target its flow. */
export interface DeviceRequest {
  from: string;
  to: string;
  contentType: string;
  body: Buffer;
  headers?: ReadonlyArray<readonly [string, string]>;
  callId?: string;
}

export interface DeviceSenderDeps {
  client: SipClient;
  bindings: BindingStore;
  flows: FlowTable;
  instanceId: string;
  log: Logger;
  now?: () => Date;
}

/** `sip:token@host:port;transport=x;lr` → `host:port;transport=x`. */
export function hopOfPath(path: string): string | undefined {
  const u = parseSipUri(path);
  if (!u) return undefined;
  const transport = u.params.get('transport') ?? 'udp';
  return `${u.host}${u.port !== undefined ? `:${u.port}` : ''};transport=${transport}`;
}

export class DeviceSender {
  constructor(private readonly deps: DeviceSenderDeps) {}

  /**
   * Send to every binding of `aor` (one read of the store): `req`, or what `req(binding)` gives for
   * that binding (nothing sent when it gives `undefined`). Resolves with each binding's status.
   */
  async sendToAccount(aor: string, req: DeviceRequest | ((b: Binding) => DeviceRequest | undefined)): Promise<{ binding: Binding; request: DeviceRequest; status: number }[]> {
    const now = this.deps.now?.() ?? new Date();
    const sends: Promise<{ binding: Binding; request: DeviceRequest; status: number }>[] = [];
    for (const binding of await this.deps.bindings.listBindings(aor, now)) {
      const request = typeof req === 'function' ? req(binding) : req;
      if (request !== undefined) sends.push(this.send(binding, request).then((status) => ({ binding, request, status })));
    }
    return Promise.all(sends);
  }

  /** Send to one binding; the final status (408/503 synthesized on timeout / transport error). */
  async send(binding: Binding, req: DeviceRequest): Promise<number> {
    const { deps } = this;
    const out: OutgoingRequest = {
      method: 'MESSAGE',
      uri: binding.contact,
      from: req.from,
      to: req.to,
      contentType: req.contentType,
      body: req.body,
      headers: [...(req.headers ?? [])],
      ...(req.callId !== undefined ? { callId: req.callId } : {}),
    };
    if (binding.instanceId === deps.instanceId) {
      // Our own WebSocket connections: the messaging layer told them already.
      if (binding.flow === deps.flows.hubToken) return 200;
      const flow = deps.flows.get(binding.flow);
      if (flow) out.target = { ...flow.remote, protocol: flow.protocol };
      else if (binding.transport === 'udp') out.target = { protocol: 'udp', address: binding.sourceAddress, port: binding.sourcePort };
      else {
        // Our own connection-oriented flow that is gone (e.g. this instance restarted): stale.
        await this.drop(binding, 'flow closed');
        return 410;
      }
    } else {
      const hop = hopOfPath(binding.path);
      if (!hop) return 500;
      out.nextHop = hop;
      out.headers = [['Route', `<${binding.path}>`], ...(out.headers ?? [])];
    }
    const result = await deps.client.send(out);
    const status = result.response.status;
    if (status < 300) deps.log.debug({ aor: binding.aor, contact: binding.contact, status }, 'delivered to a device');
    else {
      deps.log.debug({ aor: binding.aor, contact: binding.contact, status }, 'delivery to a device failed');
      if (status === 410 && binding.instanceId !== deps.instanceId) await this.drop(binding, 'flow gone at its instance');
    }
    return status;
  }

  private async drop(binding: Binding, why: string): Promise<void> {
    this.deps.log.info({ aor: binding.aor, contact: binding.contact, why }, 'stale binding removed');
    try {
      await this.deps.bindings.removeBinding(binding.aor, binding.key);
    } catch (err) {
      this.deps.log.warn({ err, aor: binding.aor }, 'could not remove a stale binding');
    }
  }
}
