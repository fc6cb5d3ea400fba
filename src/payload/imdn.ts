/**
 * IMDN documents (RFC 5438 §7, namespace `urn:ietf:params:xml:ns:imdn`): parse the reports the server
 * receives (`sip-messaging.md` §5.7) and build the ones WS clients send (§6.3.2).
 *
 * Hand-written (on `xml.ts`): no maintained npm package handles IMDN; the document is a handful of
 * elements. Validation follows the RFC 5438 schema where it matters: root `imdn` in the IMDN
 * namespace, a non-empty `message-id`, a `datetime`, and exactly one of delivery-, display- or
 * processing-notification whose `status` holds one known status element.
 */
import { XmlError, child, childText, escapeXml, parseXml } from './xml.js';

export const IMDN_XML_NAMESPACE = 'urn:ietf:params:xml:ns:imdn';
export const IMDN_CONTENT_TYPE = 'message/imdn+xml';

export type ImdnKind = 'delivery' | 'display' | 'processing';

/** Status element names allowed per notification kind (RFC 5438 §7.2.1). */
const STATUSES: Record<ImdnKind, readonly string[]> = {
  delivery: ['delivered', 'failed', 'forbidden', 'error'],
  display: ['displayed', 'forbidden', 'error'],
  processing: ['processed', 'stored', 'forbidden', 'error'],
};

export type ImdnStatus = 'delivered' | 'failed' | 'forbidden' | 'error' | 'displayed' | 'processed' | 'stored';

export interface ImdnDocument {
  messageId: string;
  /** `datetime` as written (the original message's timestamp). */
  datetime: string;
  recipientUri: string | null;
  originalRecipientUri: string | null;
  kind: ImdnKind;
  status: ImdnStatus;
}

export class ImdnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImdnError';
  }
}

/** Parse and validate an IMDN document; throws {@link ImdnError}. */
export function parseImdn(xml: string): ImdnDocument {
  let root;
  try {
    root = parseXml(xml);
  } catch (err) {
    throw new ImdnError(`not well-formed: ${(err as XmlError).message}`);
  }
  const ns = IMDN_XML_NAMESPACE;
  if (root.ns !== ns || root.name !== 'imdn') throw new ImdnError('root is not {urn:ietf:params:xml:ns:imdn}imdn');
  const messageId = childText(root, ns, 'message-id');
  if (!messageId) throw new ImdnError('missing message-id');
  const datetime = childText(root, ns, 'datetime');
  if (!datetime) throw new ImdnError('missing datetime');
  const found: Array<[ImdnKind, ReturnType<typeof child>]> = [];
  for (const kind of ['delivery', 'display', 'processing'] as const) {
    const el = child(root, ns, `${kind}-notification`);
    if (el) found.push([kind, el]);
  }
  if (found.length !== 1) throw new ImdnError('exactly one notification element expected');
  const [kind, note] = found[0]!;
  const status = note && child(note, ns, 'status');
  if (!status) throw new ImdnError('missing status');
  const value = status.children.find((c) => c.ns === ns);
  if (!value || !STATUSES[kind].includes(value.name)) throw new ImdnError(`unknown ${kind} status`);
  return {
    messageId,
    datetime,
    recipientUri: childText(root, ns, 'recipient-uri') ?? null,
    originalRecipientUri: childText(root, ns, 'original-recipient-uri') ?? null,
    kind,
    status: value.name as ImdnStatus,
  };
}

export interface BuildImdnOptions {
  messageId: string;
  datetime: string;
  /** Written into recipient-uri and original-recipient-uri (the original writes the destination AOR). */
  recipientUri: string;
  /** WS states (§6.3.2): delivered/failed/forbidden → delivery-notification; displayed/error → display. */
  state: 'delivered' | 'failed' | 'forbidden' | 'displayed' | 'error';
}

/**
 * Build the document of §6.3.2. `failed`/`forbidden` (which crash the original, quirk 7) become a
 * delivery-notification with `<failed/>`/`<forbidden/>`.
 */
export function buildImdn(o: BuildImdnOptions): string {
  const kind = o.state === 'displayed' || o.state === 'error' ? 'display' : 'delivery';
  return (
    `<?xml version='1.0' encoding='UTF-8'?>\n` +
    `<imdn xmlns="${IMDN_XML_NAMESPACE}">\n` +
    `  <message-id>${escapeXml(o.messageId)}</message-id>\n` +
    `  <datetime>${escapeXml(o.datetime)}</datetime>\n` +
    `  <recipient-uri>${escapeXml(o.recipientUri)}</recipient-uri>\n` +
    `  <original-recipient-uri>${escapeXml(o.recipientUri)}</original-recipient-uri>\n` +
    `  <${kind}-notification><status><${o.state}/></status></${kind}-notification>\n` +
    `</imdn>\n`
  );
}
