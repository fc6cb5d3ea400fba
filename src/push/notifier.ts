/**
 * Decides who gets a push and drives the providers (`push.md` §3–§5): for an incoming chat message
 * (`text/plain`, `text/html`, `application/sylk-file-transfer`) one request per stored token of the
 * receiver, all devices in parallel, one random UUID `call-id` per message.
 *
 * Fire-and-forget: `onIncomingMessage` returns nothing and never throws; store or provider failures are
 * logged and counted (`sylk_push_*` metrics), never propagated to the message that caused the push.
 *
 * Behaviour, where the original has a quirk (`push.md` §6):
 * - badge = the store's unread count after the message was stored (the caller calls us after the
 *   journal commit), not "1 + count" (quirk 2);
 * - the record's `silent` flag is honoured (quirk 1); with `skip_online_devices` a device that holds
 *   an authenticated WebSocket connection (the `isDeviceOnline` callback) is not pushed (quirk 5 kept
 *   by default: the apps dedupe);
 * - an invalid-token answer deletes exactly the record the request was built from, and only if it still
 *   holds the token that failed (quirk 3, and no race with a re-registration);
 * - 429/5xx/transport errors are retried with bounded exponential backoff and jitter (the original never
 *   retries).
 */
import { randomUUID } from 'node:crypto';
import { logger as rootLogger, type Logger } from '../util/logger.js';
import type { PushConfig } from './config.js';
import { pushErrors, pushNotifications, pushRequests, pushSkipped } from './metrics.js';
import { createProviders, providerRouter, type CreateProvidersOptions, type ProviderRouter, type Providers } from './providers/index.js';
import { backoffDelay, defaultSleep, type BackoffPolicy } from './retry.js';
import { PUSH_CONTENT_TYPES, type Notification, type PushProvider, type PushToken, type PushTokenStore, type SendOutcome } from './types.js';

export interface IncomingMessage {
  /** Receiver AOR (the journal owner). */
  account: string;
  /** Sender AOR (a `sip:`/`sips:` scheme is removed). */
  from: string;
  fromDisplayName?: string | null;
  contentType: string;
  content: string;
  messageId: string;
}

export interface ConferenceInvite {
  /** Invited participant (whose tokens are used). */
  account: string;
  from: string;
  fromDisplayName?: string | null;
  /** Room URI. */
  room: string;
  mediaType: 'audio' | 'video';
  /** Defaults to a random 32-bit number as a decimal string (`push.md` §4.2). */
  callId?: string;
}

/** Called per device; true = the device holds an authenticated WebSocket connection now. */
export type DeviceOnlinePredicate = (account: string, deviceId: string) => boolean;

export interface PushNotifierOptions {
  store: PushTokenStore;
  route: ProviderRouter;
  /** Providers to close with the notifier. */
  providers?: PushProvider[];
  isDeviceOnline?: DeviceOnlinePredicate;
  skipOnlineDevices?: boolean;
  maxRetries?: number;
  backoff?: BackoffPolicy;
  /** Injected for tests: the wait between retries, and the jitter source. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Most provider requests in flight at once, over all devices and messages (default 64). */
  maxConcurrent?: number;
  log?: Logger;
}

function bareAor(uri: string): string {
  return uri.replace(/^sips?:/i, '');
}

export class PushNotifier {
  private readonly log: Logger;
  private readonly pending = new Set<Promise<void>>();
  private readonly backoff: BackoffPolicy;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private closed = false;
  /** Resolves when close() is called, to cut retry waits short. */
  private readonly closing: Promise<void>;
  private signalClosing: () => void = () => undefined;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly maxConcurrent: number;

  constructor(private readonly opts: PushNotifierOptions) {
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? 64);
    this.closing = new Promise((resolve) => {
      this.signalClosing = resolve;
    });
    this.log = opts.log ?? rootLogger.child({ module: 'push' });
    this.backoff = opts.backoff ?? { baseMs: 500, maxMs: 30_000 };
    this.maxRetries = opts.maxRetries ?? 3;
    this.sleep = opts.sleep ?? defaultSleep;
    this.random = opts.random ?? Math.random;
  }

  /** Build the providers of `config` (reads key files) and a notifier using them. */
  static async fromConfig(
    config: PushConfig,
    store: PushTokenStore,
    extra: { isDeviceOnline?: DeviceOnlinePredicate; log?: Logger } & CreateProvidersOptions = {},
  ): Promise<PushNotifier> {
    const providers: Providers = await createProviders(config, extra);
    if (config.provider === 'none' && config.appProviders.size === 0) {
      (extra.log ?? rootLogger.child({ module: 'push' })).warn('push notifications disabled: neither [General] sylk_push_url nor a [Push] provider is configured');
    }
    return new PushNotifier({
      store,
      route: providerRouter(config, providers),
      providers: Object.values(providers),
      skipOnlineDevices: config.skipOnlineDevices,
      maxRetries: config.maxRetries,
      backoff: { baseMs: config.retryBaseDelayMs, maxMs: config.retryMaxDelayMs },
      ...(extra.isDeviceOnline ? { isDeviceOnline: extra.isDeviceOnline } : {}),
      ...(extra.log ? { log: extra.log } : {}),
    });
  }

  /**
   * A message was stored in `account`'s journal. Pushes its devices in the background when the content
   * type is a chat type; returns at once and never throws.
   */
  onIncomingMessage(msg: IncomingMessage): void {
    try {
      if (this.closed || !PUSH_CONTENT_TYPES.includes(msg.contentType)) return;
      this.track(this.notifyMessage(msg));
    } catch (err) {
      this.caught('message', err);
    }
  }

  /**
   * The same, in the shape of the messaging pipeline's hook (`OnIncomingMessage` of
   * src/messaging/push-hook.ts, declared here structurally since push does not import messaging):
   * wire it as `onIncomingMessage: notifier.messagingHook`.
   */
  readonly messagingHook = (m: {
    account: string;
    sender: { uri: string; display_name: string | null };
    message_id: string;
    content_type: string;
    content: string;
  }): void => {
    try {
      this.onIncomingMessage({ account: m.account, from: m.sender.uri, fromDisplayName: m.sender.display_name, contentType: m.content_type, content: m.content, messageId: m.message_id });
    } catch (err) {
      this.caught('message', err);
    }
  };

  /** A conference invitation for `account` (`push.md` §4.2); fire-and-forget like messages. */
  onConferenceInvite(inv: ConferenceInvite): void {
    try {
      if (this.closed) return;
      const n: Notification = {
        event: 'incoming_conference_request',
        account: bareAor(inv.account),
        from: bareAor(inv.from),
        fromDisplayName: inv.fromDisplayName ?? null,
        to: bareAor(inv.room),
        mediaType: inv.mediaType,
        callId: inv.callId ?? String(Math.floor(this.random() * 2 ** 32)),
      };
      this.track(this.notifyDevices(n));
    } catch (err) {
      this.caught('conference', err);
    }
  }

  /** Resolves when every push started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stop accepting pushes, wait for the running ones, close provider connections. */
  async close(): Promise<void> {
    this.closed = true;
    this.signalClosing();
    await this.idle();
    await Promise.allSettled((this.opts.providers ?? []).map((p) => p.close()));
  }

  private track(p: Promise<void>): void {
    const guarded = p.catch((err: unknown) => this.caught('notify', err));
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  private caught(stage: string, err: unknown): void {
    try {
      pushErrors.inc({ stage });
      this.log.error({ err, stage }, 'push: unexpected error');
    } catch {
      // Never let logging or metrics break the caller.
    }
  }

  private async notifyMessage(msg: IncomingMessage): Promise<void> {
    const account = bareAor(msg.account);
    let badge = 0;
    try {
      badge = (await this.opts.store.unreadCounts(account)).total;
    } catch (err) {
      this.caught('badge', err);
    }
    await this.notifyDevices({
      event: 'message',
      account,
      from: bareAor(msg.from),
      fromDisplayName: msg.fromDisplayName ?? null,
      contentType: msg.contentType,
      content: msg.content,
      messageId: msg.messageId,
      callId: randomUUID(),
      badge,
    });
  }

  private async notifyDevices(n: Notification): Promise<void> {
    let records: PushToken[];
    try {
      records = await this.opts.store.listPushTokens(n.account);
    } catch (err) {
      this.caught('tokens', err);
      return;
    }
    await Promise.all(records.map((r) => this.notifyDevice(r, n).catch((err: unknown) => this.caught('device', err))));
  }

  private async notifyDevice(record: PushToken, n: Notification): Promise<void> {
    if (this.opts.skipOnlineDevices && this.opts.isDeviceOnline) {
      let online = false;
      try {
        online = this.opts.isDeviceOnline(n.account, record.deviceId);
      } catch (err) {
        this.caught('online-check', err);
      }
      if (online) {
        pushSkipped.inc({ reason: 'online' });
        return;
      }
    }
    const provider = this.opts.route(record);
    if (!provider) {
      pushSkipped.inc({ reason: 'no_provider' });
      this.log.debug({ account: n.account, appId: record.appId, platform: record.platform }, 'push: no provider for this app');
      return;
    }
    const ctx = { provider: provider.name, account: n.account, appId: record.appId, deviceId: record.deviceId, platform: record.platform, event: n.event };
    for (let retry = 0; ; retry++) {
      let outcome: SendOutcome;
      await this.acquire();
      try {
        outcome = await provider.send(record, n);
      } catch (err) {
        // A provider must not throw; treat it as a permanent failure of this request.
        outcome = { kind: 'failed', status: null, reason: err instanceof Error ? err.message : String(err) };
      } finally {
        this.release();
      }
      pushRequests.inc({ provider: provider.name, outcome: outcome.kind === 'invalid-token' ? 'invalid_token' : outcome.kind });
      switch (outcome.kind) {
        case 'sent':
          pushNotifications.inc({ provider: provider.name, result: 'sent' });
          this.log.debug({ ...ctx, retries: retry }, 'push sent');
          return;
        case 'invalid-token':
          await this.purge(record, ctx, outcome.reason);
          pushNotifications.inc({ provider: provider.name, result: 'purged' });
          return;
        case 'failed':
          pushNotifications.inc({ provider: provider.name, result: 'failed' });
          this.log.warn({ ...ctx, status: outcome.status, reason: outcome.reason }, 'push failed');
          return;
        case 'retry':
          if (retry >= this.maxRetries || this.closed) {
            pushNotifications.inc({ provider: provider.name, result: 'gave_up' });
            this.log.warn({ ...ctx, status: outcome.status, reason: outcome.reason, retries: retry }, 'push failed, giving up');
            return;
          }
          // A retry wait ends early on close(), which then gives up.
          await Promise.race([this.sleep(backoffDelay(retry, this.backoff, this.random, outcome.retryAfterMs)), this.closing]);
          if (this.closed) {
            pushNotifications.inc({ provider: provider.name, result: 'gave_up' });
            this.log.warn({ ...ctx, status: outcome.status, reason: outcome.reason, retries: retry }, 'push failed, shutting down');
            return;
          }
      }
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hand the slot to the next waiter, or free it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Delete the record the failed request was built from, if it still holds the same tokens. */
  private async purge(record: PushToken, ctx: Record<string, string>, reason: string): Promise<void> {
    try {
      const current = (await this.opts.store.listPushTokens(record.account)).find((r) => r.appId === record.appId && r.deviceId === record.deviceId);
      if (!current || current.token !== record.token || current.backgroundToken !== record.backgroundToken) {
        this.log.info({ ...ctx, reason }, 'push token invalid, but the device registered a new one meanwhile');
        return;
      }
      await this.opts.store.removePushToken(record.account, record.appId, record.deviceId);
      this.log.info({ ...ctx, reason, token: record.token.slice(0, 10) }, 'push token invalid, removed');
    } catch (err) {
      this.caught('purge', err);
    }
  }
}
