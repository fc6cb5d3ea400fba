/**
 * Is-composing indications (RFC 3994, `application/im-iscomposing+xml`, namespace
 * `urn:ietf:params:xml:ns:im-iscomposing`). The messaging server drops them (`sip-messaging.md` §5.8:
 * never stored, never relayed), but parses them so logs and metrics can tell a valid indication from
 * garbage, and can build one for tests and tools.
 *
 * Hand-written on `xml.ts`: the document has four optional elements; no maintained npm package exists.
 */
import { XmlError, childText, escapeXml, parseXml } from './xml.js';

export const ISCOMPOSING_NAMESPACE = 'urn:ietf:params:xml:ns:im-iscomposing';
export const ISCOMPOSING_CONTENT_TYPE = 'application/im-iscomposing+xml';

export interface IsComposing {
  state: 'active' | 'idle';
  lastActive: string | null;
  /** Media type of the message being composed. */
  contentType: string | null;
  /** Seconds (active state refresh interval). */
  refresh: number | null;
}

export class IsComposingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IsComposingError';
  }
}

export function parseIsComposing(xml: string): IsComposing {
  let root;
  try {
    root = parseXml(xml);
  } catch (err) {
    throw new IsComposingError(`not well-formed: ${(err as XmlError).message}`);
  }
  const ns = ISCOMPOSING_NAMESPACE;
  if (root.ns !== ns || root.name !== 'isComposing') throw new IsComposingError('root is not isComposing');
  const state = childText(root, ns, 'state');
  if (state !== 'active' && state !== 'idle') throw new IsComposingError('state must be active or idle');
  const refreshText = childText(root, ns, 'refresh');
  let refresh: number | null = null;
  if (refreshText !== undefined) {
    if (!/^\d+$/.test(refreshText)) throw new IsComposingError('refresh must be a positive integer');
    refresh = Number(refreshText);
  }
  return {
    state,
    lastActive: childText(root, ns, 'lastactive') ?? null,
    contentType: childText(root, ns, 'contenttype') ?? null,
    refresh,
  };
}

export function buildIsComposing(o: { state: 'active' | 'idle'; contentType?: string; refresh?: number; lastActive?: string }): string {
  let body = `<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="${ISCOMPOSING_NAMESPACE}">\n  <state>${o.state}</state>\n`;
  if (o.lastActive) body += `  <lastactive>${escapeXml(o.lastActive)}</lastactive>\n`;
  if (o.contentType) body += `  <contenttype>${escapeXml(o.contentType)}</contenttype>\n`;
  if (o.refresh !== undefined) body += `  <refresh>${o.refresh}</refresh>\n`;
  return body + `</isComposing>\n`;
}
