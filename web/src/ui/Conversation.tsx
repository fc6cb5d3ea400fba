/**
 * One open conversation: its messages as a `log` named `Messages` (the newest page first, older
 * pages added when scrolling to the top), the composer (Enter sends, Shift+Enter breaks the line),
 * attaching files by button or drag and drop, and deleting the conversation.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Session } from '../session.js';
import { LockIcon, PaperclipIcon } from './icons.js';
import { MessageItem } from './MessageItem.js';
import { useModel } from './use-model.js';

const PAGE = 50;

interface Props {
  session: Session;
  contact: string;
  onClose(): void;
}

export function Conversation({ session, contact, onClose }: Props) {
  useModel(session);
  const [shown, setShown] = useState(PAGE);
  const [text, setText] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [dragging, setDragging] = useState(false);
  const log = useRef<HTMLDivElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const pinned = useRef(true);
  const before = useRef<{ height: number; top: number } | null>(null);

  const all = session.model.conversations.get(contact) ?? [];
  const visible = all.slice(Math.max(0, all.length - shown));
  const more = all.length > visible.length;

  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    if (before.current) {
      // An older page was added above: keep what was on screen in place.
      el.scrollTop = el.scrollHeight - before.current.height + before.current.top;
      before.current = null;
    } else if (pinned.current) el.scrollTop = el.scrollHeight;
  });

  const onScroll = () => {
    const el = log.current!;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 40 && more) {
      before.current = { height: el.scrollHeight, top: el.scrollTop };
      setShown((n) => n + PAGE);
    }
  };

  const send = () => {
    const t = text.replace(/^\s+|\s+$/g, '');
    if (!t) return;
    pinned.current = true;
    void session.send(contact, t);
    setText('');
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const attach = (files: FileList | null) => {
    pinned.current = true;
    for (const f of Array.from(files ?? [])) void session.sendFile(contact, f, f.name);
  };

  return (
    <main
      class={dragging ? 'chat dragging' : 'chat'}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        attach(e.dataTransfer?.files ?? null);
      }}
    >
      <header class="chat-head">
        <button type="button" class="back" onClick={onClose}>
          <span aria-hidden="true">←</span> Conversations
        </button>
        <h2>{contact}</h2>
        {session.e2e?.canEncryptTo(contact) && (
          <span class="e2e" title="Messages are end-to-end encrypted">
            <LockIcon /> Encrypted
          </span>
        )}
        {confirming ? (
          <span class="confirm">
            <button type="button" class="danger" onClick={() => session.removeConversation(contact)}>
              Delete all messages
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" onClick={() => setConfirming(true)}>
            Delete conversation
          </button>
        )}
      </header>
      <div class="log" role="log" aria-label="Messages" tabIndex={0} ref={log} onScroll={onScroll}>
        {more && <p class="older">Scroll up for older messages</p>}
        {visible.map((m) => (
          <MessageItem key={m.id} session={session} message={m} />
        ))}
      </div>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <input type="file" ref={fileInput} multiple hidden onChange={(e) => {
          attach(e.currentTarget.files);
          e.currentTarget.value = '';
        }} />
        <button type="button" class="icon" aria-label="Attach file" title="Attach file" onClick={() => fileInput.current?.click()}>
          <PaperclipIcon />
        </button>
        <label for="composer" class="sr-only">
          Message
        </label>
        <textarea id="composer" rows={1} placeholder="Message (Enter sends, Shift+Enter new line)" value={text} onInput={(e) => setText(e.currentTarget.value)} onKeyDown={onKey} />
        <button type="submit" class="primary">
          Send
        </button>
      </form>
    </main>
  );
}
