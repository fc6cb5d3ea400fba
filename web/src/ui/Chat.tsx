/**
 * The chat screen: header (account, connection state, sign-out), the conversation list with the
 * new-conversation field, and the open conversation. On a phone-sized screen only one of list and
 * conversation shows at a time (`data-view`, styles.css).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../session.js';
import { Conversation } from './Conversation.js';
import { ConversationList } from './ConversationList.js';
import { KeyPanel } from './KeyPanel.js';
import type { Pgp } from '../pgp.js';
import { useModel } from './use-model.js';

interface Props {
  session: Session;
  pgp: Pgp | null;
  onSignOut(): void;
}

function statusText(s: Session): string {
  if (s.status === 'online') return '';
  if (s.status === 'failed') return `${s.failure ?? 'Signed out'}. Sign out and sign in again.`;
  if (s.status === 'offline') return s.retryInMs !== null ? `Connection lost. Reconnecting in ${Math.max(1, Math.round(s.retryInMs / 1000))} s…` : 'Connection lost. Reconnecting…';
  return 'Connecting…';
}

export function Chat({ session, pgp, onSignOut }: Props) {
  useModel(session);
  const [active, setActive] = useState<string | null>(session.active);
  useEffect(() => {
    const online = () => session.retryNow();
    window.addEventListener('online', online);
    const visible = () => {
      if (document.visibilityState === 'visible' && session.active) session.markRead(session.active);
    };
    document.addEventListener('visibilitychange', visible);
    return () => {
      window.removeEventListener('online', online);
      document.removeEventListener('visibilitychange', visible);
    };
  }, [session]);
  // A conversation removed on another device closes here too.
  if (active && session.active !== active) setActive(session.active);

  const open = (contact: string | null) => {
    session.open(contact);
    setActive(contact);
  };
  const status = statusText(session);

  return (
    <div class="app" data-view={active ? 'chat' : 'list'}>
      <header class="top">
        <span class="me" title={session.account}>
          {session.account}
        </span>
        <span role="status" class={status ? 'banner' : 'banner empty'}>
          {status}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div class="side">
        <ConversationList session={session} active={active} onOpen={open} />
        <KeyPanel pgp={pgp} />
      </div>
      {active ? (
        <Conversation key={active} session={session} contact={active} onClose={() => open(null)} />
      ) : (
        <main class="chat empty-chat">
          <p>Choose a conversation, or start one by typing an address.</p>
        </main>
      )}
    </div>
  );
}
