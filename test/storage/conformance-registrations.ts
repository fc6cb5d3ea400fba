/**
 * Conformance of the registrar's bindings (`src/registrar/bindings.ts` `BindingStore`,
 * `standalone.md` §3), part of the storage conformance suite (`conformance.ts` calls it for every
 * engine): every field back, replace by (aor, key), several per account, expiry, removal one by one,
 * all at once (`*`) and by flow (a closed connection), and that removing a flow spares a binding
 * re-registered over another flow since.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { JournalStore } from '../../src/journal/store.js';
import type { Binding } from '../../src/journal/bindings.js';

function binding(aor: string, over: Partial<Binding> = {}): Binding {
  return {
    aor,
    key: 'sip:dev@192.0.2.1:5060',
    contact: 'sip:dev@192.0.2.1:5060',
    callId: 'call-1',
    cseq: 1,
    expiresAt: new Date(Date.now() + 600_000),
    instanceId: 'inst-a',
    flow: 'flow-1',
    path: 'sip:flow-1@127.0.0.1:5060;transport=tcp;lr',
    transport: 'tcp',
    sourceAddress: '192.0.2.1',
    sourcePort: 40000,
    sipInstance: null,
    regId: null,
    q: null,
    userAgent: 'phone',
    ...over,
  };
}

const sorted = (l: Binding[]): Binding[] => [...l].sort((x, y) => x.key.localeCompare(y.key));
const ms = (b: Binding): Binding => ({ ...b, expiresAt: new Date(Math.floor(b.expiresAt.getTime())) });

export function runRegistrationConformance(getStore: () => JournalStore): void {
  describe('registrar bindings', () => {
    const aor = (): string => `dev-${randomUUID().slice(0, 8)}@example.com`;

    test('put then list returns every field; a put of the same (aor, key) replaces it', async () => {
      const r = getStore().registrations!;
      const a = aor();
      const b = binding(a, { sipInstance: '<urn:uuid:00000000-0000-1000-8000-000000000001>', regId: 1, q: 0.5, key: '<urn:uuid:00000000-0000-1000-8000-000000000001>;reg-id=1', expiresAt: new Date(Date.now() + 3_600_000 + 123) });
      await r.putBinding(b);
      assert.deepEqual((await r.listBindings(a, new Date())).map(ms), [ms(b)]);
      const moved = { ...b, cseq: 2, flow: 'flow-2', sourcePort: 40001, userAgent: null };
      await r.putBinding(moved);
      assert.deepEqual((await r.listBindings(a, new Date())).map(ms), [ms(moved)]);
    });

    test('several bindings per account; expired ones are not listed; removal one by one and all at once', async () => {
      const r = getStore().registrations!;
      const a = aor();
      const b1 = binding(a, { key: 'sip:one@192.0.2.1', contact: 'sip:one@192.0.2.1' });
      const b2 = binding(a, { key: 'sip:two@192.0.2.2', contact: 'sip:two@192.0.2.2', transport: 'udp', flow: 'flow-u' });
      const b3 = binding(a, { key: 'sip:three@192.0.2.3', contact: 'sip:three@192.0.2.3', expiresAt: new Date(Date.now() + 60_000) });
      for (const b of [b1, b2, b3]) await r.putBinding(b);
      assert.deepEqual(sorted(await r.listBindings(a, new Date())).map((b) => b.key), sorted([b1, b2, b3]).map((b) => b.key));
      // At a later "now" the shorter binding has expired.
      assert.deepEqual(sorted(await r.listBindings(a, new Date(Date.now() + 120_000))).map((b) => b.key), sorted([b1, b2]).map((b) => b.key));
      assert.equal(await r.removeBinding(a, b1.key), true);
      assert.equal(await r.removeBinding(a, b1.key), false);
      assert.deepEqual(sorted(await r.listBindings(a, new Date())).map((b) => b.key), sorted([b2, b3]).map((b) => b.key));
      assert.equal(await r.removeBindings(a), 2);
      assert.deepEqual(await r.listBindings(a, new Date()), []);
      assert.deepEqual(await r.listBindings(aor(), new Date()), []);
    });

    test('removeFlow removes the bindings of that flow of that instance only', async () => {
      const r = getStore().registrations!;
      const a = aor();
      const other = aor();
      const flow = `flow-${randomUUID()}`;
      await r.putBinding(binding(a, { key: 'sip:k1@h', flow }));
      await r.putBinding(binding(a, { key: 'sip:k2@h', flow: 'another' }));
      await r.putBinding(binding(other, { key: 'sip:k3@h', flow }));
      await r.putBinding(binding(other, { key: 'sip:k4@h', flow, instanceId: 'inst-b' }));
      // k1 re-registered over another flow since: removing the old flow spares it.
      await r.putBinding(binding(a, { key: 'sip:k5@h', flow }));
      await r.putBinding(binding(a, { key: 'sip:k5@h', flow: 'newer' }));
      assert.equal(await r.removeFlow('inst-a', flow), 2);
      assert.deepEqual(sorted(await r.listBindings(a, new Date())).map((b) => b.key), ['sip:k2@h', 'sip:k5@h']);
      assert.deepEqual((await r.listBindings(other, new Date())).map((b) => b.key), ['sip:k4@h']);
    });

    test('purgeExpiredBindings leaves no expired binding behind and keeps the others', async () => {
      const r = getStore().registrations!;
      const a = aor();
      await r.putBinding(binding(a, { key: 'sip:old@h', expiresAt: new Date(Date.now() + 1_000) }));
      await r.putBinding(binding(a, { key: 'sip:new@h', expiresAt: new Date(Date.now() + 600_000) }));
      await r.purgeExpiredBindings(new Date(Date.now() + 5_000));
      assert.deepEqual((await r.listBindings(a, new Date(Date.now() + 5_000))).map((b) => b.key), ['sip:new@h']);
    });

    test('removeEarlierRuns removes the bindings whose path names the hop under another instance id, and only those', async () => {
      const r = getStore().registrations!;
      const a = aor();
      const hop = `127.0.0.${1 + Math.floor(Math.random() * 200)}:${10000 + Math.floor(Math.random() * 50000)};transport=tcp`;
      const old1 = binding(a, { key: 'sip:old1@192.0.2.1', contact: 'sip:old1@192.0.2.1', instanceId: 'run-1', flow: 'f-old1', path: `sip:f-old1@${hop};lr` });
      const old2 = binding(a, { key: 'sip:old2@192.0.2.2', contact: 'sip:old2@192.0.2.2', instanceId: 'run-1', flow: 'f-old2', path: `sip:f-old2@${hop};lr`, transport: 'udp' });
      const mine = binding(a, { key: 'sip:mine@192.0.2.3', contact: 'sip:mine@192.0.2.3', instanceId: 'run-2', flow: 'f-mine', path: `sip:f-mine@${hop};lr` });
      const elsewhere = binding(a, { key: 'sip:other@192.0.2.4', contact: 'sip:other@192.0.2.4', instanceId: 'run-x', flow: 'f-x', path: `sip:f-x@127.0.0.1:1;transport=tcp;lr` });
      for (const b of [old1, old2, mine, elsewhere]) await r.putBinding(b);
      assert.equal(await r.removeEarlierRuns(hop, 'run-2'), 2);
      assert.deepEqual(sorted(await r.listBindings(a, new Date())).map((b) => b.key), sorted([mine, elsewhere]).map((b) => b.key));
      assert.equal(await r.removeEarlierRuns(hop, 'run-2'), 0);
      // Once removed here, removing by flow finds nothing left of them.
      assert.equal(await r.removeFlow('run-1', 'f-old1'), 0);
    });
  });
}
