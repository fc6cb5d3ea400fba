/**
 * One message: its text (or file: images inline, other files as a download link, upload progress),
 * time, a lock when end-to-end encrypted, and on own messages the state word in a `data-state`
 * element (pending, sent, delivered, read, failed). Its actions: delete for me, or for both (own
 * messages).
 */
import { useEffect, useState } from 'preact/hooks';
import { isEncryptedFile, isImage, sameOrigin, shownName, sizeText } from '../content.js';
import type { ChatMessage } from '../model.js';
import type { Session } from '../session.js';
import { LockIcon } from './icons.js';
import { shortTime } from './use-model.js';

interface Props {
  session: Session;
  message: ChatMessage;
}

function FileView({ m, session }: { m: ChatMessage; session: Session }) {
  const f = m.file!;
  const name = shownName(f);
  const encrypted = isEncryptedFile(f);
  useEffect(() => {
    if (encrypted && !f.localUrl) void session.decryptFile(m.id);
  });
  if (m.progress !== undefined)
    return (
      <span class="file">
        {name} ({sizeText(f.filesize)})
        <progress max={1} value={m.progress} aria-label={`Uploading ${name}`} />
      </span>
    );
  if (!f.url && !f.localUrl) return <span class="file">{name}</span>;
  if (encrypted && !f.localUrl) return <span class="file muted">{f.failed ? `${name}: cannot be decrypted here` : `Decrypting ${name}…`}</span>;
  const href = f.localUrl ?? sameOrigin(f.url!);
  if (isImage(f))
    return (
      <a class="file" href={href} target="_blank" rel="noopener noreferrer">
        <img src={href} alt={name} loading="lazy" />
      </a>
    );
  return (
    <a class="file" href={href} download={name}>
      {name} ({sizeText(f.filesize)})
    </a>
  );
}

export function MessageItem({ session, message: m }: Props) {
  const [menu, setMenu] = useState(false);
  const own = m.direction === 'outgoing';
  return (
    <div class={own ? 'msg out' : 'msg in'} data-id={m.id} data-encrypted={m.encrypted ? 'yes' : 'no'}>
      <div class="bubble">
        {m.file ? <FileView m={m} session={session} /> : <p class={m.undecryptable ? 'text muted' : 'text'}>{m.text}</p>}
        <span class="meta">
          {m.encrypted && (
            <span class="lock" role="img" aria-label="Encrypted" title="End-to-end encrypted">
              <LockIcon />
            </span>
          )}
          <time dateTime={m.timestamp}>{shortTime(m.time)}</time>
          {own && m.state !== 'received' && (
            <span class={`state ${m.state}`} data-state={m.state}>
              {m.state}
            </span>
          )}
          <button type="button" class="icon small" aria-label="Message actions" aria-expanded={menu} onClick={() => setMenu(!menu)}>
            <span aria-hidden="true">⋯</span>
          </button>
        </span>
        {menu && (
          <span class="actions">
            <button type="button" onClick={() => session.removeMessage(m, false)}>
              Delete for me
            </button>
            {own && (
              <button type="button" class="danger" onClick={() => session.removeMessage(m, true)}>
                Delete for both
              </button>
            )}
            <button type="button" onClick={() => setMenu(false)}>
              Cancel
            </button>
          </span>
        )}
      </div>
    </div>
  );
}
