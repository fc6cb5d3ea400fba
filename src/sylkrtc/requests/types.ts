/**
 * The shape of a sylkRTC request module (`sylkrtc-websocket.md` §3–§5, §11): its name, the internal
 * class name used in Appendix A texts, its zod schema and its handler, declared together (the Fastify
 * idea: the schema is the documentation). A handler receives a request its schema accepted and the
 * narrow {@link RequestConnection} — never the connection class, so there is no import cycle.
 *
 * A handler resolves when the request's effects are durable (the connection then sends the `ack`);
 * it may return a step to run right after the `ack` (events for this connection, §1.10). Throwing
 * `RequestError` (or a `MessagingError` of kind invalid/unavailable) becomes the `error` text.
 */
import { z } from 'zod';
import type { Binding, BindingHost } from '../binding.js';
import type { SylkRtcContext } from '../context.js';

/** What a request handler may do with the connection it came on. */
export interface RequestConnection extends BindingHost {
  /** Remote address, for logs and file-transfer authorisation (§16). */
  readonly remoteAddress: string;
  /** Accounts added on this connection, by their normalised AOR. */
  readonly bindings: Map<string, Binding>;
  /** Remove a binding from routing and end its registration (account-remove / close). */
  dropBinding(b: Binding): Promise<void>;
}

/** An optional step to run after the `ack`. */
export type After = (() => void) | void;

export interface RequestModule<N extends string, S extends z.ZodType<{ sylkrtc: N; transaction: string }>> {
  readonly name: N;
  /** Internal model name in "Mandatory property ... of 'CLASS' object" (Appendix A). */
  readonly className: string;
  readonly schema: S;
  handle(ctx: SylkRtcContext, conn: RequestConnection, req: z.output<S>): Promise<After>;
}

/** Declare a request module (keeps the literal name and the schema's output type). */
export function defineRequest<N extends string, S extends z.ZodType<{ sylkrtc: N; transaction: string }>>(m: RequestModule<N, S>): RequestModule<N, S> {
  return m;
}

/** The two members every request has: its name and the client's `transaction` (§1.9). */
export const base = <N extends string>(name: N) => ({ sylkrtc: z.literal(name), transaction: z.string() });
