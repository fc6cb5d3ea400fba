/**
 * Helpers for the `sylk-db` tests: an in-memory `CliIo` with scripted prompt answers, a hermetic
 * configuration loader (only `--config-dir`), and seeding of an account with every kind of data.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { CliIo } from '../../src/cli/db/io.js';
import { runSylkDb } from '../../src/cli/db/main.js';
import type { JournalStore } from '../../src/journal/store.js';

export interface FakeIo extends CliIo {
  stdout: string[];
  stderr: string[];
  data: string;
  prompts: string[];
}

export function fakeIo(answers: string[] = [], stdin = ''): FakeIo {
  const queue = [...answers];
  const io: FakeIo = {
    stdout: [],
    stderr: [],
    data: '',
    prompts: [],
    out: (l) => void io.stdout.push(l),
    err: (l) => void io.stderr.push(l),
    ask: async (p) => {
      io.prompts.push(p);
      return queue.length > 0 ? queue.shift()! : null;
    },
    write: async (c) => {
      io.data += c;
    },
    async *readLines(path) {
      if (path === '-') {
        for (const l of stdin.split('\n')) yield l;
        return;
      }
      const r = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
      for await (const l of r) yield l;
    },
  };
  return io;
}

export const hermeticLoad = (configDir: string | null): Config =>
  loadConfig({ configDir: configDir ?? '/nonexistent', systemDir: null, userDir: null, log: false });

export async function sylkDb(argv: string[], io: FakeIo = fakeIo()): Promise<{ code: number; io: FakeIo; text: string }> {
  const code = await runSylkDb(argv, io, { loadConfig: hermeticLoad });
  return { code, io, text: [...io.stdout, ...io.stderr].join('\n') };
}

/** Give `aor` an account record, token, keys, two push tokens and `n` entries (some unread). */
export async function seedAccount(store: JournalStore, aor: string, n = 10): Promise<void> {
  await store.addAccount(aor, new Date('2025-01-01T00:00:00.000Z'));
  await store.setApiToken(aor, `token-${aor}`, new Date(Date.now() + 86_400_000));
  await store.setPublicKey(aor, `-----BEGIN PGP PUBLIC KEY BLOCK-----\n${aor}\n`);
  await store.setPrivateKeyMessage({ account: aor, messageId: `pk-${aor}`, contact: aor, direction: 'outgoing', content: 'PRIV', msgTimestamp: new Date() });
  await store.addPushToken({ account: aor, appId: 'com.example.app', deviceId: 'dev-a', platform: 'ios', token: 'voip-token-aaaaaaaaaaaaaaaaaaaa', backgroundToken: 'bg-a', silent: false, userAgent: 'UA' });
  await store.addPushToken({ account: aor, appId: 'com.example.app', deviceId: 'dev-b', platform: 'android', token: 'fcm-token-bbbbbbbbbbbbbbbbbbbbb', backgroundToken: null, silent: true, userAgent: null });
  const entries = Array.from({ length: n }, (_, i) => ({
    account: aor,
    contact: i % 2 ? 'bob@example.com' : 'carol@example.com',
    direction: (i % 3 === 0 ? 'incoming' : 'outgoing') as 'incoming' | 'outgoing',
    contentType: i === 1 ? 'application/sylk-message-metadata' : i === 2 ? 'message/imdn' : 'text/plain',
    content: `message ${i} 😀`,
    messageId: `${aor}-m${i}`,
    disposition: ['positive-delivery', 'display'],
    state: (i % 3 === 0 ? 'received' : 'pending') as 'received' | 'pending',
    msgTimestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
    createdAt: new Date(Date.UTC(2025, 5, 1, 0, 0, i)),
  }));
  await store.addMany(entries);
}
