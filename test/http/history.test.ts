import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { registerHistoryRoutes } from '../../src/http/history.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/index.js';

const TOKEN = 'hT3q0yJ4y1xk6p3k1e7tQ9Xg0fR2bL5mN8vC4zA7sD0';

describe('GET /webrtcgateway/messages/history', () => {
  let dir: string;
  let store: SqliteStore;
  let http: HttpServer;
  const ids: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-hist-'));
    store = openSqliteStore({ path: join(dir, 'j.sqlite') });
    await store.addAccount('alice@example.com');
    await store.setApiToken('alice@example.com', TOKEN, new Date(Date.now() + 86_400_000));
    await store.addAccount('bob@example.com');
    for (let i = 0; i < 7; i++) {
      const id = `m-${i}`;
      ids.push(id);
      await store.add({ account: 'alice@example.com', contact: 'bob@example.com', direction: i % 2 ? 'incoming' : 'outgoing', contentType: 'text/plain', content: `text ${i}`, messageId: id, disposition: i % 2 ? ['display'] : null, state: i % 2 ? 'received' : 'accepted', msgTimestamp: new Date(Date.UTC(2024, 4, 1, 10, 0, i)) });
    }
    http = createHttpServer({ host: '127.0.0.1', port: 0, serverHeader: 'SylkServer/test' });
    await registerHistoryRoutes(http.app, { store });
    await http.app.ready();
  });
  after(async () => {
    await http.app.close();
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = { authorization: `Apikey ${TOKEN}` }) => http.app.inject({ method: 'GET', url, headers });

  it('returns the whole journal, oldest first, in the original shape plus "more"', async () => {
    const r = await get('/webrtcgateway/messages/history/alice%40example.com');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    assert.equal(r.headers['server'], 'SylkServer/test');
    const body = r.json();
    assert.equal(body.account, 'alice@example.com');
    assert.equal(body.more, false);
    assert.deepEqual(body.messages.map((m: { message_id: string }) => m.message_id), ids);
    assert.deepEqual(Object.keys(body.messages[0]), ['contact', 'timestamp', 'disposition', 'message_id', 'content_type', 'content', 'direction', 'state']);
    assert.deepEqual(body.messages[0], { contact: 'bob@example.com', timestamp: '2024-05-01T10:00:00+00:00', disposition: [], message_id: 'm-0', content_type: 'text/plain', content: 'text 0', direction: 'outgoing', state: 'accepted' });
    assert.equal(r.headers['link'], undefined);
  });

  it('pages with last_id and ?limit=, with a Link to the next page', async () => {
    const r = await get('/webrtcgateway/messages/history/alice@example.com/m-1?limit=3');
    assert.equal(r.statusCode, 200);
    const body = r.json();
    assert.deepEqual(body.messages.map((m: { message_id: string }) => m.message_id), ['m-2', 'm-3', 'm-4']);
    assert.equal(body.more, true);
    assert.equal(r.headers['link'], '</webrtcgateway/messages/history/alice@example.com/m-4?limit=3>; rel="next"');
    const next = await get('/webrtcgateway/messages/history/alice@example.com/m-4?limit=3');
    assert.deepEqual(next.json().messages.map((m: { message_id: string }) => m.message_id), ['m-5', 'm-6']);
    assert.equal(next.json().more, false);
    assert.equal((await get('/webrtcgateway/messages/history/alice@example.com/m-6')).json().messages.length, 0);
    assert.equal((await get('/webrtcgateway/messages/history/alice@example.com?limit=0')).statusCode, 400);
  });

  it('answers 401 alike for missing, malformed, wrong-scheme and wrong tokens and unknown accounts', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['/webrtcgateway/messages/history/alice@example.com', {}],
      ['/webrtcgateway/messages/history/alice@example.com', { authorization: `Apikey ${TOKEN} extra` }],
      ['/webrtcgateway/messages/history/alice@example.com', { authorization: `Bearer ${TOKEN}` }],
      ['/webrtcgateway/messages/history/alice@example.com', { authorization: `apikey ${TOKEN}` }],
      ['/webrtcgateway/messages/history/alice@example.com', { authorization: 'Apikey wrong' }],
      ['/webrtcgateway/messages/history/bob@example.com', { authorization: `Apikey ${TOKEN}` }],
      ['/webrtcgateway/messages/history/nobody@example.com', { authorization: `Apikey ${TOKEN}` }],
      ['/webrtcgateway/messages/history/%00', { authorization: `Apikey ${TOKEN}` }],
    ];
    for (const [url, headers] of cases) {
      const r = await get(url, headers);
      assert.equal(r.statusCode, 401, `${url} ${JSON.stringify(headers)}`);
      assert.equal(r.body, 'Unauthorized');
    }
  });

  it('sends CORS headers and answers the preflight', async () => {
    const r = await http.app.inject({ method: 'OPTIONS', url: '/webrtcgateway/messages/history/alice@example.com', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' } });
    assert.equal(r.statusCode, 204);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.match(String(r.headers['access-control-allow-headers']), /Authorization/);
    const g = await get('/webrtcgateway/messages/history/alice@example.com');
    assert.equal(g.headers['access-control-allow-origin'], '*');
    assert.match(String(g.headers['access-control-expose-headers']), /Link/);
  });

  it('answers 405 for other methods', async () => {
    const r = await http.app.inject({ method: 'POST', url: '/webrtcgateway/messages/history/alice@example.com' });
    assert.equal(r.statusCode, 405);
  });

  it('answers 503 with Retry-After when the store fails (never 500)', async () => {
    await store.close();
    const r = await get('/webrtcgateway/messages/history/alice@example.com');
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '5');
  });
});
