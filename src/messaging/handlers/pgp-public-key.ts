/**
 * `text/pgp-public-key` — a user publishes its OpenPGP public key (`sip-messaging.md` §5.9).
 *
 * The content must parse as an armored OpenPGP *public* key (checked with the `openpgp` package);
 * otherwise 400 with the reason. The key is published only by its owner: the owner is the SIP From AOR
 * (the identity the proxy authenticated), and a CPIM From naming someone else is refused with 403
 * (the original trusts the CPIM From, which lets anyone overwrite anyone's key — its security note).
 * Stored: the key of the From AOR (replacing the previous one). No journal entry, no sender copy.
 * Events: `public-key-updated`; `message` to the To account's connections if it is storage-enabled
 * (their client caches the key). No push, nothing sent. A WebSocket client's key (sender side only)
 * is checked and stored the same way; a refused key is answered with the same reason.
 */
import { readKey } from 'openpgp';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import type { InboundMessage } from '../inbound.js';
import { deliver } from './message.js';

/** Null if `armored` is one OpenPGP public key, else why not. */
export async function checkPublicKey(armored: string): Promise<string | null> {
  try {
    const key = await readKey({ armoredKey: armored });
    if (key.isPrivate()) return 'a private key was sent as public key';
    return null;
  } catch (err) {
    return `not an OpenPGP public key: ${(err as Error).message.split('\n')[0]}`;
  }
}

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const problem = await checkPublicKey(msg.content);
  if (problem) return { status: 400, reason: `Invalid public key: ${problem}`.slice(0, 140).replace(/[\r\n]/g, ' ') };
  const owner = msg.from;
  if (msg.sender.uri !== owner) return { status: 403, reason: 'Public key owner must be the sender' };
  const [, receiver] = await Promise.all([
    ctx.store.setPublicKey(owner, msg.content, ctx.now()),
    msg.receiverSide && msg.to !== owner && ctx.accounts.check(ctx.store, msg.to),
  ]);
  ctx.events.emit('public-key-updated', { account: owner, public_key: msg.content });
  if (receiver) deliver(msg, ctx, null);
  return OK;
}

/** Sent by a WebSocket client: validated and stored as its key; the receiver side comes over SIP. */
export const pgpPublicKeyHandler: ContentHandler = { name: 'pgp-public-key', handle, handleSent: handle };
