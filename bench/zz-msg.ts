import { startStandaloneServer } from './standalone-common.js';
import { SipStack } from '../src/sip/stack.js';
process.env.SYLK_LOG_LEVEL = 'warn';
const srv = await startStandaloneServer();
await srv.addAccount('alice@example.com', 'alice-password');
await srv.addAccount('bob@example.com', 'bob-password');
const store = srv.server.store;
// instrument
const origAddMany = store.addMany.bind(store);
const addT: number[] = [];
(store as any).addMany = async (e: any) => { const t = performance.now(); const r = await origAddMany(e); addT.push(performance.now() - t); return r; };
const h = (srv.server.sip as any).handler;
const hT: number[] = [];
srv.server.sip.setHandler(async (inc) => { const t = performance.now(); const r = await h(inc); hT.push(performance.now() - t); return r; });
const alice = new SipStack({ host: '127.0.0.1', tcpPort: 0 });
const bob = new SipStack({ host: '127.0.0.1', tcpPort: 0 }, async () => ({ status: 200 }));
await alice.start(); await bob.start();
const hop = `127.0.0.1:${srv.tcpPort};transport=tcp`;
for (const [st, u] of [[alice, 'alice'], [bob, 'bob']] as const) {
  const r = await st.send({ method: 'REGISTER', uri: 'sip:example.com', from: `<sip:${u}@example.com>`, to: `<sip:${u}@example.com>`, headers: [['Contact', `<sip:${u}@127.0.0.1:${st.ports().tcp};transport=tcp>`]], nextHop: hop, credentials: { username: u, password: `${u}-password` } });
  console.log('reg', r.response.status);
}
const ans: number[] = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  void alice.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: `m ${i}`, nextHop: hop }).then(() => ans.push(performance.now() - t));
  await new Promise((r) => setTimeout(r, 3));
}
await new Promise((r) => setTimeout(r, 3000));
const s = (a: number[]) => { a.sort((x, y) => x - y); return `p50 ${a[Math.floor(a.length / 2)]?.toFixed(2)} max ${a.at(-1)?.toFixed(2)} n ${a.length}`; };
console.log('answer', s(ans)); console.log('handler', s(hT)); console.log('addMany', s(addT));
await alice.stop(); await bob.stop(); await srv.stop();
