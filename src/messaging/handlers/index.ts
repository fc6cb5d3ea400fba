/**
 * The content-type modules, wired by name (Prosody-style): each file in this folder is one module;
 * which media types go to which module is the content-type table (`journal/content-types.ts`), and
 * every type without a row goes to `message` (`sip-messaging.md` §5 dispatch table). The map below
 * has a key for every name the table may use: the compiler checks that each has its module.
 * A deployment can leave modules out (`disabled`), e.g. to stop accepting FT-HTTP documents; a
 * disabled type then falls back to `message` (stored as an opaque ordinary message).
 */
import type { ContentHandlerName } from '../../journal/content-types.js';
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

export const HANDLERS: { readonly [N in ContentHandlerName]: ContentHandler } = {
  message: messageHandler,
  imdn: imdnHandler,
  iscomposing: isComposingHandler,
  'pgp-public-key': pgpPublicKeyHandler,
  'pgp-private-key': pgpPrivateKeyHandler,
  'ft-http': ftHttpHandler,
  'api-token': apiTokenHandler,
  'api-pgp-key-lookup': apiPgpKeyLookupHandler,
  'api-message-remove': apiMessageRemoveHandler,
  'api-conversation-read': apiConversationReadHandler,
  'api-conversation-remove': apiConversationRemoveHandler,
};

/** Module name → module, with `message` for a disabled one. */
export class HandlerRegistry {
  private readonly byName = new Map<ContentHandlerName, ContentHandler>();

  constructor(disabled: readonly string[] = []) {
    for (const [name, h] of Object.entries(HANDLERS) as Array<[ContentHandlerName, ContentHandler]>) {
      this.byName.set(name, disabled.includes(name) ? messageHandler : h);
    }
  }

  get(name: ContentHandlerName): ContentHandler {
    return this.byName.get(name) ?? messageHandler;
  }
}
