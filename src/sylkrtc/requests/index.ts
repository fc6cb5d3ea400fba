/**
 * The list of sylkRTC requests this server serves (`sylkrtc-websocket.md` §3–§5, §11), one module
 * each. Adding a request is one new module in this folder plus one line in {@link REQUESTS}; the
 * compiler then checks the list against the spec's names (`SPEC_REQUESTS` in `protocol.ts`), and
 * the request's name, schema, Appendix A class name and handler all come from its module.
 */
import type { z } from 'zod';
import type { SylkRtcContext } from '../context.js';
import type { SpecRequestName } from '../protocol.js';
import { accountAdd } from './account-add.js';
import { accountDeviceToken } from './account-devicetoken.js';
import { accountDispositionNotification } from './account-disposition-notification.js';
import { accountFetchAddressbook } from './account-fetch-addressbook.js';
import { accountMarkConversationRead } from './account-mark-conversation-read.js';
import { accountMessage } from './account-message.js';
import { accountRegister } from './account-register.js';
import { accountRemove } from './account-remove.js';
import { accountRemoveConversation } from './account-remove-conversation.js';
import { accountRemoveMessage } from './account-remove-message.js';
import { accountSyncConversations } from './account-sync-conversations.js';
import { accountUnregister } from './account-unregister.js';
import { accountUpdateAddressbook } from './account-update-addressbook.js';
import { lookupPublicKey } from './lookup-public-key.js';
import { ping } from './ping.js';
import type { After, RequestConnection } from './types.js';

/** Every request we serve. */
export const REQUESTS = [
  ping,
  lookupPublicKey,
  accountAdd,
  accountRemove,
  accountRegister,
  accountUnregister,
  accountDeviceToken,
  accountMessage,
  accountDispositionNotification,
  accountSyncConversations,
  accountMarkConversationRead,
  accountRemoveMessage,
  accountRemoveConversation,
  accountFetchAddressbook,
  accountUpdateAddressbook,
] as const;

type Module = (typeof REQUESTS)[number];
export type RequestName = Module['name'];
/** A validated request of any kind. */
export type AnyRequest = z.output<Module['schema']>;
export type RequestOf<N extends RequestName> = Extract<AnyRequest, { sylkrtc: N }>;

// Completeness: the list serves exactly the spec's requests (a missing or extra one fails to compile).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const complete: Same<RequestName, SpecRequestName> = true;
void complete;

/** What the dispatcher needs of a module: the schema's output type erased to {@link AnyRequest}. */
interface ErasedModule {
  readonly name: RequestName;
  readonly className: string;
  readonly schema: z.ZodType<AnyRequest>;
  handle(ctx: SylkRtcContext, conn: RequestConnection, req: AnyRequest): Promise<After>;
}

const BY_NAME: ReadonlyMap<string, ErasedModule> = new Map(REQUESTS.map((m) => [m.name, m as unknown as ErasedModule]));

/** The module of a request name, or undefined when we do not serve it. */
export function requestModule(name: string): ErasedModule | undefined {
  return BY_NAME.get(name);
}

/** Run the handler of a validated request; resolves the optional post-ack step. */
export function handleRequest(ctx: SylkRtcContext, conn: RequestConnection, req: AnyRequest): Promise<After> {
  return BY_NAME.get(req.sylkrtc)!.handle(ctx, conn, req);
}

export type { After, RequestConnection } from './types.js';
