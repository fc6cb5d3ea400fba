import { test } from 'node:test';
import { startKamailio } from '../helpers/kamailio.js';
import { startSylk } from '../helpers/e2e-server.js';
import { WsClient } from '../helpers/e2e-ws.js';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
test('scratch', async () => {
  const k = await startKamailio({ domain: 'example.com', udpPort: 16162, tcpPort: 16162, sylkPort: 16175, subscribers: [{ username: 'alice', password: 'alice-secret' }] });
  const s = await startSylk({ name: 'X', sipPort: 16175, proxyPort: 16162, storage: { sqlitePath: join(mkdtempSync('/tmp/e2e-scratch/x'), 'j.sqlite') } });
  try {
    const c1 = await WsClient.connect(s.wsUrl, 'c1');
    await c1.login('alice@example.com', 'alice-secret');
    await c1.close();
    const c2 = await WsClient.connect(s.wsUrl, 'c2');
    await c2.addAccount('alice@example.com', 'alice-secret');
    console.log(JSON.stringify(await c2.register('alice@example.com')));
    await c2.close();
  } finally {
    console.log(s.log().split('\n').filter((l) => /REGISTER|sip|auth/i.test(l)).slice(-30).join('\n'));
    await s.stop(); await k.stop();
  }
});
