/**
 * The application shell: the sign-in screen, or the chat screen of the signed-in session. Owns the
 * "Remember me" storage — `{address, ha1}` in localStorage, never the password (web-client.md) — and
 * the WebSocket URL (the page's own origin, `/webrtcgateway/ws`).
 */
import { useEffect, useState } from 'preact/hooks';
import { ha1 as computeHa1 } from '../ids.js';
import { Session } from '../session.js';
import { Chat } from './Chat.js';
import { Login } from './Login.js';
import type { Pgp } from '../pgp.js';

const REMEMBER_KEY = 'sylk.remember';

interface Remembered {
  address: string;
  ha1: string;
}

function remembered(): Remembered | null {
  try {
    const r = JSON.parse(localStorage.getItem(REMEMBER_KEY) ?? 'null') as Remembered | null;
    return r && typeof r.address === 'string' && /^[0-9a-f]{32}$/.test(r.ha1) ? r : null;
  } catch {
    return null;
  }
}

function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/webrtcgateway/ws`;
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [signedIn, setSignedIn] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [pgp, setPgp] = useState<Pgp | null>(null);

  const start = (address: string, digest: string, remember: boolean) => {
    setBusy(true);
    setError(null);
    const s: Session = new Session(wsUrl(), address, digest, {
      signedIn: (err) => {
        setBusy(false);
        if (err) {
          s.stop();
          setSession(null);
          setError(err);
          if (remembered()?.address === address) localStorage.removeItem(REMEMBER_KEY);
          return;
        }
        if (remember) localStorage.setItem(REMEMBER_KEY, JSON.stringify({ address, ha1: digest }));
        setSignedIn(true);
        // OpenPGP is a separate chunk, fetched only now (web-client.md: end-to-end encryption).
        void import('../pgp.js')
          .then(({ Pgp }) => Pgp.create({ account: address, request: (b) => s.request(b), keysChanged: () => s.keysChanged() }))
          .then((p) => {
            s.attachE2E(p);
            setPgp(p);
          });
      },
    });
    setSession(s);
    s.start();
  };

  useEffect(() => {
    const r = remembered();
    if (r) start(r.address, r.ha1, true);
  }, []);

  const signOut = () => {
    session?.stop();
    localStorage.removeItem(REMEMBER_KEY);
    setSession(null);
    setSignedIn(false);
    setPgp(null);
  };

  if (session && signedIn) return <Chat session={session} pgp={pgp} onSignOut={signOut} />;
  return <Login busy={busy} error={error} onSubmit={(address, password, remember) => start(address, computeHa1(address, password), remember)} />;
}
