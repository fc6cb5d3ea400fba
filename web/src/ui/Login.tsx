/**
 * The sign-in screen: address, password, "Remember me", and the error of a failed sign-in as an
 * alert (web-client.md's names: textbox `Address`, password `Password`, button `Sign in`).
 */
import { useState } from 'preact/hooks';
import { isAddress, normalizeAddress } from '../ids.js';

interface Props {
  busy: boolean;
  error: string | null;
  onSubmit(address: string, password: string, remember: boolean): void;
}

export function Login({ busy, error, onSubmit }: Props) {
  const [address, setAddress] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    const a = normalizeAddress(address);
    if (!isAddress(a)) return setInvalid('Enter your address as user@domain');
    if (!password) return setInvalid('Enter your password');
    setInvalid(null);
    onSubmit(a, password, remember);
  };
  const shown = invalid ?? error;

  return (
    <main class="login">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sylk</h1>
        <label for="address">Address</label>
        <input id="address" name="username" type="text" inputMode="email" autocomplete="username" autocapitalize="off" spellcheck={false} placeholder="alice@example.com" value={address} onInput={(e) => setAddress(e.currentTarget.value)} required />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} /> Remember me
        </label>
        {shown && (
          <p role="alert" class="error">
            {shown}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        {busy && <p role="status">Signing in…</p>}
      </form>
    </main>
  );
}
