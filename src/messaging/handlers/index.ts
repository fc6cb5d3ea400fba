/**
 * The content-type modules, wired by name (Prosody-style): each file in this folder handles its media
 * types; `message` handles everything no module claims (`sip-messaging.md` §5 dispatch table).
 * A deployment can leave modules out (`disabled`), e.g. to stop accepting FT-HTTP documents; a
 * disabled type then falls back to `message` (stored as an opaque ordinary message).
 */
import type { ContentHandler } from '../context.js';
import { apiConversationReadHandler } from './api-conversation-read.js';
import { apiConversationRemoveHandler } from './api-conversation-remove.js';
import { apiMessageRemoveHandler } from './api-message-remove.js';
import { apiPgpKeyLookupHandler } from './api-pgp-key-lookup.js';
import { apiTokenHandler } from './api-token.js';
import { ftHttpHandler } from './ft-http.js';
import { imdnHandler } from './imdn.js';
import { isComposingHandler } from './iscomposing.js';
import { messageHandler } from './message.js';
import { pgpPrivateKeyHandler } from './pgp-private-key.js';
import { pgpPublicKeyHandler } from './pgp-public-key.js';

export const HANDLERS: readonly ContentHandler[] = [
  apiTokenHandler,
  apiPgpKeyLookupHandler,
  apiMessageRemoveHandler,
  apiConversationReadHandler,
  apiConversationRemoveHandler,
  imdnHandler,
  isComposingHandler,
  pgpPublicKeyHandler,
  pgpPrivateKeyHandler,
  ftHttpHandler,
  messageHandler,
];

/** Media type → handler lookup with `message` as the fallback. */
export class HandlerRegistry {
  private readonly byType = new Map<string, ContentHandler>();

  constructor(handlers: readonly ContentHandler[] = HANDLERS, disabled: readonly string[] = []) {
    for (const h of handlers) {
      if (disabled.includes(h.name)) continue;
      for (const t of h.contentTypes) this.byType.set(t.toLowerCase(), h);
    }
  }

  get(contentType: string): ContentHandler {
    return this.byType.get(contentType.toLowerCase()) ?? messageHandler;
  }
}
