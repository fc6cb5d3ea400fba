/**
 * Uploads in progress, for the cancel route (`http-api.md` §5): each is remembered under the raw
 * `transfer_id` segment of its request line (not percent-decoded, as the original) until it ends;
 * cancelling aborts its TCP connection, which makes the upload fail and leave nothing behind
 * (`store.ts`). Per instance: a cancel must reach the instance holding the upload (the same web
 * address the client uploads to).
 */
import type { IncomingMessage } from 'node:http';
import { ROUTE_PREFIX } from './layout.js';

const RAW_ID = new RegExp(`^${ROUTE_PREFIX}/[^/]+/[^/]+/([^/?#]+)/`);

/** The raw transfer id of an upload request line, or null. */
export function rawTransferId(url: string): string | null {
  return RAW_ID.exec(url)?.[1] ?? null;
}

export class ActiveUploads {
  private readonly byId = new Map<string, IncomingMessage>();

  get size(): number {
    return this.byId.size;
  }

  /** Remember `request` under `id` until `forget`. */
  add(id: string, request: IncomingMessage): void {
    this.byId.set(id, request);
  }

  forget(id: string, request: IncomingMessage): void {
    if (this.byId.get(id) === request) this.byId.delete(id);
  }

  /** Abort the upload with this id (as given, or percent-encoded); false if none is in progress. */
  cancel(id: string): boolean {
    const key = this.byId.has(id) ? id : encodeURIComponent(id);
    const request = this.byId.get(key);
    if (!request) return false;
    this.byId.delete(key);
    request.socket.destroy();
    return true;
  }

  /** Abort every upload (shutdown). */
  abortAll(): void {
    for (const r of this.byId.values()) r.socket.destroy();
    this.byId.clear();
  }
}
