/**
 * RCS FT-HTTP file-transfer documents (GSMA RCC.07 §6.3, `application/vnd.gsma.rcs-ft-http+xml`,
 * namespace `urn:gsma:params:xml:ns:rcs:rcs:fthttp`): parse those SIP devices send
 * (`sip-messaging.md` §4.4) and build those the server sends (§9.1).
 *
 * Hand-written on `xml.ts`: no maintained npm package handles the RCS documents. Validation: root
 * `file` in the FT-HTTP namespace, each `file-info type="file"` needs `file-size` (integer),
 * `file-name`, `content-type` and `data url="..."`; thumbnails are ignored; the last file wins.
 */
import { XmlError, child, childText, escapeXml, parseXml } from './xml.js';

export const FTHTTP_NAMESPACE = 'urn:gsma:params:xml:ns:rcs:rcs:fthttp';
export const FTHTTP_EXT_NAMESPACE = 'urn:gsma:params:xml:ns:rcs:rcs:up:fthttpext';
export const FTHTTP_CONTENT_TYPE = 'application/vnd.gsma.rcs-ft-http+xml';

export interface FtHttpFile {
  size: number;
  name: string;
  contentType: string;
  url: string;
  until: string | null;
  /** `x:file-hash` (extension namespace), when present. */
  hash: string | null;
}

export class FtHttpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FtHttpError';
  }
}

/** The file of the document (the last `file-info type="file"`). */
export function parseFtHttp(xml: string): FtHttpFile {
  let root;
  try {
    root = parseXml(xml);
  } catch (err) {
    throw new FtHttpError(`not well-formed: ${(err as XmlError).message}`);
  }
  const ns = FTHTTP_NAMESPACE;
  if (root.ns !== ns || root.name !== 'file') throw new FtHttpError('root is not {fthttp}file');
  let last: FtHttpFile | null = null;
  for (const info of root.children) {
    if (info.ns !== ns || info.name !== 'file-info' || info.attrs.type !== 'file') continue;
    const sizeText = childText(info, ns, 'file-size');
    const name = childText(info, ns, 'file-name');
    const contentType = childText(info, ns, 'content-type');
    const data = child(info, ns, 'data');
    if (!sizeText || !/^\d+$/.test(sizeText)) throw new FtHttpError('file-size must be an integer');
    if (!name) throw new FtHttpError('missing file-name');
    if (!contentType) throw new FtHttpError('missing content-type');
    if (!data || !data.attrs.url) throw new FtHttpError('missing data url');
    last = {
      size: Number(sizeText),
      name,
      contentType,
      url: data.attrs.url,
      until: data.attrs.until ?? null,
      hash: childText(info, FTHTTP_EXT_NAMESPACE, 'file-hash') ?? null,
    };
  }
  if (!last) throw new FtHttpError('no file-info of type file');
  return last;
}

/** The document the server sends for an uploaded file (§9.1). */
export function buildFtHttp(f: FtHttpFile): string {
  let out =
    `<?xml version='1.0' encoding='UTF-8'?>\n` +
    `<file xmlns="${FTHTTP_NAMESPACE}" xmlns:x="${FTHTTP_EXT_NAMESPACE}">\n` +
    `  <file-info type="file">\n` +
    `    <file-size>${f.size}</file-size>\n` +
    `    <file-name>${escapeXml(f.name)}</file-name>\n` +
    `    <content-type>${escapeXml(f.contentType)}</content-type>\n` +
    `    <data url="${escapeXml(f.url)}"${f.until ? ` until="${escapeXml(f.until)}"` : ''}/>\n`;
  if (f.hash) out += `    <x:file-hash>${escapeXml(f.hash)}</x:file-hash>\n`;
  return out + `  </file-info>\n</file>\n`;
}
