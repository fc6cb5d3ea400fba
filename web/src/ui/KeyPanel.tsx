/**
 * The end-to-end encryption panel: the key's state, sending the key to the own other devices (with
 * the one-time code to type there), importing a key sent from another device, or making a new key
 * when the account's key is on another device.
 */
import { useState } from 'preact/hooks';
import type { Pgp } from '../pgp.js';
import { LockIcon } from './icons.js';

export function KeyPanel({ pgp }: { pgp: Pgp | null }) {
  const [code, setCode] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [wrong, setWrong] = useState(false);
  if (!pgp) return <section class="keys" aria-label="Encryption"><p>Loading encryption…</p></section>;

  let body;
  switch (pgp.state) {
    case 'checking':
      body = <p>Setting up encryption…</p>;
      break;
    case 'ready':
      body = (
        <>
          <p>
            <LockIcon /> End-to-end encryption is on.
          </p>
          {code ? (
            <p role="status">
              Key sent. On your other device enter the code <strong class="code">{code}</strong>
            </p>
          ) : (
            <button type="button" onClick={() => void pgp.exportToOtherDevices().then(setCode)}>
              Send my key to my other devices
            </button>
          )}
        </>
      );
      break;
    case 'elsewhere':
      body = (
        <>
          <p>Your encryption key is on another device. Send it from there to read encrypted messages here.</p>
          <button type="button" onClick={() => void pgp.makeKeys()}>
            Make a new key
          </button>
        </>
      );
      break;
    case 'import-offered':
      body = (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void pgp.importOffered(typed).then((ok) => setWrong(!ok));
          }}
        >
          <p>Another device sent your encryption key.</p>
          <label for="key-code">Code from your other device</label>
          <input id="key-code" type="text" inputMode="numeric" autocomplete="one-time-code" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          {wrong && (
            <p role="alert" class="error">
              Wrong code
            </p>
          )}
          <button type="submit">Import key</button>
        </form>
      );
      break;
  }
  return (
    <section class="keys" aria-label="Encryption">
      {body}
    </section>
  );
}
