/**
 * The content types the client shows and how (sylkrtc-websocket.md §2.5): `text/plain` as text,
 * `text/html` reduced to its text (parsed inert, never inserted as markup), and
 * `application/sylk-file-transfer` descriptors (§16.1) as files. Everything else (metadata,
 * location, contact updates) is not shown.
 */
import type { FileInfo } from './model.js';

export const SHOWN_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/html', 'application/sylk-file-transfer']);

export function plainText(contentType: string, content: string): string {
  if (contentType !== 'text/html') return content;
  // DOMParser documents run no scripts and load nothing; only the text is kept.
  return new DOMParser().parseFromString(content, 'text/html').body.textContent ?? '';
}

export function parseFileTransfer(content: string): (FileInfo & { url: string }) | undefined {
  try {
    const d = JSON.parse(content) as Record<string, unknown>;
    if (typeof d.filename !== 'string' || typeof d.url !== 'string') return undefined;
    return {
      filename: d.filename,
      filesize: typeof d.filesize === 'number' ? d.filesize : 0,
      filetype: typeof d.filetype === 'string' ? d.filetype : 'application/octet-stream',
      url: d.url,
    };
  } catch {
    return undefined;
  }
}

export function previewOf(contentType: string, filename: string): string {
  return contentType === 'application/sylk-file-transfer' ? `File: ${filename.replace(/\.asc$/i, '')}` : filename;
}

/** The download URL on this origin: the descriptor's URL is built from the server's configured base URL. */
export function sameOrigin(url: string): string {
  try {
    const u = new URL(url, location.href);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

const IMAGE = /\.(jpe?g|png|gif|webp)$/i;

/** The name to show: an encrypted file's name without the `.asc` its upload added. */
export function shownName(f: FileInfo): string {
  return f.filename.replace(/\.asc$/i, '');
}

export function isEncryptedFile(f: FileInfo): boolean {
  return /\.asc$/i.test(f.filename);
}

export function isImage(f: FileInfo): boolean {
  return f.filetype.startsWith('image/') && IMAGE.test(shownName(f));
}

export function sizeText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
