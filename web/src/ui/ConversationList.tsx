/**
 * The conversation list (newest first; contact, preview of the last message, its time, unread
 * count) and the `New conversation` field (Enter opens the conversation with the typed address).
 */
import { useState } from 'preact/hooks';
import { isAddress, normalizeAddress } from '../ids.js';
import type { Session } from '../session.js';
import { shortTime } from './use-model.js';

interface Props {
  session: Session;
  active: string | null;
  onOpen(contact: string): void;
}

export function ConversationList({ session, active, onOpen }: Props) {
  const [address, setAddress] = useState('');
  const [invalid, setInvalid] = useState(false);
  const model = session.model;

  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const a = normalizeAddress(address);
    if (!isAddress(a)) return setInvalid(true);
    setInvalid(false);
    setAddress('');
    onOpen(a);
  };

  return (
    <nav class="sidebar" aria-label="Conversation list">
      <div class="new">
        <label for="new-conversation" class="sr-only">
          New conversation
        </label>
        <input id="new-conversation" type="text" inputMode="email" autocapitalize="off" spellcheck={false} placeholder="New conversation: user@domain" value={address} aria-invalid={invalid} aria-describedby={invalid ? 'new-invalid' : undefined} onInput={(e) => setAddress(e.currentTarget.value)} onKeyDown={onKey} />
        {invalid && (
          <p id="new-invalid" class="error small">
            Type an address as user@domain
          </p>
        )}
      </div>
      <ul aria-label="Conversations" class="conversations">
        {model.contacts().map((c) => {
          const list = model.conversations.get(c)!;
          const last = list[list.length - 1];
          const unread = model.unreadCount(c);
          return (
            <li key={c} class={c === active ? 'current' : undefined}>
              <button type="button" aria-current={c === active ? 'true' : undefined} onClick={() => onOpen(c)}>
                <span class="row">
                  <span class="contact">{c}</span>
                  {last && <time dateTime={last.timestamp}>{shortTime(last.time)}</time>}
                </span>
                <span class="row">
                  <span class="preview">{last ? `${last.direction === 'outgoing' ? 'You: ' : ''}${last.encrypted ? '(encrypted) ' : ''}${last.text}` : 'No messages yet'}</span>
                  {unread > 0 && (
                    <span class="unread" data-unread={unread}>
                      {unread}
                      <span class="sr-only"> unread</span>
                    </span>
                  )}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
