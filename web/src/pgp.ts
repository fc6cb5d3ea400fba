/**
 * End-to-end encryption as Sylk's clients do it (sylkrtc-websocket.md §9; sylkrtc.js `lib/pgp.js`,
 * Sylk Mobile): OpenPGP, loaded only here (a separate chunk, fetched after sign-in).
 *
 * - Keys: one RSA 2048 key pair per account (RSA because Sylk Mobile's OpenPGP cannot use elliptic
 *   curves), user id `display name <account>`, kept in this browser's localStorage.
 * - Publishing: the public key is sent as `text/pgp-public-key` to a throw-away address of the own
 *   domain (as Sylk Mobile does); the server stores it as the sender's key and `lookup-public-key`
 *   answers it to contacts.
 * - A message is encrypted when the contact's key is known: an armored PGP MESSAGE for the contact's
 *   and the own public key (so the own other devices read it too) as the content of an ordinary
 *   `text/plain` message. That armor is the only mark; receivers recognise it and decrypt.
 * - Files to such a contact are encrypted the same way (binary data, armored) and uploaded with
 *   `.asc` appended to the name, the mark receivers go by; downloaded `.asc` files are decrypted here.
 * - Private-key sync between the own devices (`text/pgp-private-key` to the own address): the public
 *   key, a newline, then the armored private key encrypted with a one-time code that the person
 *   types on the receiving device.
 * - If the server already has another key for the account (made on another device), this browser
 *   makes no key of its own until the person imports the key or chooses to make a new one.
 */
import * as openpgp from 'openpgp';
import type { E2E } from './e2e.js';
import { uuid } from './ids.js';

export type KeyState = 'checking' | 'ready' | 'elsewhere' | 'import-offered';

export interface PgpHost {
  readonly account: string;
  request(body: Record<string, unknown>): Promise<void>;
  /** Keys changed: decrypt what could not be decrypted, re-render. */
  keysChanged(): void;
}

interface OwnKeys {
  publicArmored: string;
  privateArmored: string;
  publicKey: openpgp.PublicKey;
  privateKey: openpgp.PrivateKey;
}

const PUBLIC_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[^]*?-----END PGP PUBLIC KEY BLOCK-----/;
const MESSAGE_BLOCK = /-----BEGIN PGP MESSAGE-----[^]*?-----END PGP MESSAGE-----/;

async function parseOwn(publicArmored: string, privateArmored: string): Promise<OwnKeys> {
  return { publicArmored, privateArmored, publicKey: await openpgp.readKey({ armoredKey: publicArmored }), privateKey: await openpgp.readPrivateKey({ armoredKey: privateArmored }) };
}

const sameKey = (a: string, b: string) => a.replace(/\s+/g, '') === b.replace(/\s+/g, '');

export class Pgp implements E2E {
  state: KeyState = 'checking';
  private own: OwnKeys | null = null;
  private readonly contacts = new Map<string, openpgp.PublicKey>();
  private readonly asked = new Set<string>();
  private offered: string | null = null;

  private constructor(private readonly host: PgpHost) {}

  static async create(host: PgpHost): Promise<Pgp> {
    const p = new Pgp(host);
    const stored = localStorage.getItem(p.storageKey());
    if (stored) {
      try {
        const { publicKey, privateKey } = JSON.parse(stored) as { publicKey: string; privateKey: string };
        p.own = await parseOwn(publicKey, privateKey);
      } catch {
        p.own = null;
      }
    }
    return p;
  }

  private storageKey(): string {
    return `sylk.pgp.${this.host.account}`;
  }

  /** After each sign-in: ask the server which key it has for the own account. */
  connected(): void {
    this.asked.delete(this.host.account);
    this.lookup(this.host.account);
  }

  lookup(contact: string): void {
    if (this.asked.has(contact) || this.contacts.has(contact)) return;
    this.asked.add(contact);
    this.host.request({ sylkrtc: 'lookup-public-key', uri: contact }).catch(() => this.asked.delete(contact));
  }

  lookupAnswer(uri: string, key: string | null): void {
    if (uri === this.host.account) {
      void this.ownKeyOnServer(key);
      return;
    }
    if (key) this.publicKeyOf(uri, key);
    // No key yet: ask again when the conversation is next opened, a while later.
    else setTimeout(() => this.asked.delete(uri), 30_000);
  }

  private async ownKeyOnServer(key: string | null): Promise<void> {
    if (this.own && (key === null || sameKey(key, this.own.publicArmored))) {
      if (key === null) await this.publish();
      this.setState('ready');
    } else if (!this.own && key === null) {
      await this.makeKeys();
    } else if (this.state !== 'import-offered') {
      // Another device made the account's key: wait for it (or for "make a new key").
      this.setState('elsewhere');
    }
  }

  /** Make and publish a new key pair for this account (replaces the one on the server). */
  async makeKeys(): Promise<void> {
    this.setState('checking');
    const { publicKey, privateKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: this.host.account, email: this.host.account }], format: 'armored' });
    await this.adopt(publicKey, privateKey);
    await this.publish();
    this.setState('ready');
  }

  private async adopt(publicArmored: string, privateArmored: string): Promise<void> {
    this.own = await parseOwn(publicArmored.trim(), privateArmored.trim());
    localStorage.setItem(this.storageKey(), JSON.stringify({ publicKey: this.own.publicArmored, privateKey: this.own.privateArmored }));
  }

  private async publish(): Promise<void> {
    if (!this.own) return;
    const domain = this.host.account.slice(this.host.account.lastIndexOf('@') + 1);
    await this.host
      .request({ sylkrtc: 'account-message', uri: `${uuid()}@${domain}`, message_id: uuid(), content: this.own.publicArmored, content_type: 'text/pgp-public-key', timestamp: new Date().toISOString() })
      .catch(() => undefined);
  }

  publicKeyOf(contact: string, armored: string): void {
    if (contact === this.host.account) return;
    openpgp
      .readKey({ armoredKey: armored })
      .then((k) => {
        this.contacts.set(contact, k);
        this.host.keysChanged();
      })
      .catch(() => undefined);
  }

  privateKeyFromOtherDevice(content: string): void {
    const pub = PUBLIC_BLOCK.exec(content)?.[0];
    if (this.own && pub && sameKey(pub, this.own.publicArmored)) return; // the same key already
    this.offered = content;
    this.setState('import-offered');
  }

  /** Import the offered key with the code shown on the other device; false when the code is wrong. */
  async importOffered(code: string): Promise<boolean> {
    const content = this.offered;
    if (!content) return false;
    const pub = PUBLIC_BLOCK.exec(content)?.[0];
    const enc = MESSAGE_BLOCK.exec(content)?.[0];
    if (!pub || !enc) return false;
    try {
      const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: enc }), passwords: [code.trim()] });
      await this.adopt(pub, String(data));
    } catch {
      return false;
    }
    this.offered = null;
    this.setState('ready');
    return true;
  }

  /** Send the private key to the own other devices; returns the code to type there. */
  async exportToOtherDevices(): Promise<string> {
    if (!this.own) throw new Error('no key to send');
    const digits = crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000;
    const code = String(digits).padStart(6, '0');
    const encrypted = await openpgp.encrypt({ message: await openpgp.createMessage({ text: this.own.privateArmored }), passwords: [code], config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib } });
    await this.host.request({ sylkrtc: 'account-message', uri: this.host.account, message_id: uuid(), content: `${this.own.publicArmored}\n${encrypted}`, content_type: 'text/pgp-private-key', timestamp: new Date().toISOString() });
    return code;
  }

  canEncryptTo(contact: string): boolean {
    return this.state === 'ready' && this.own !== null && this.contacts.has(contact);
  }

  async encrypt(contact: string, text: string): Promise<string> {
    const theirs = this.contacts.get(contact);
    if (!this.own || !theirs) throw new Error('no key');
    return openpgp.encrypt({ message: await openpgp.createMessage({ text }), encryptionKeys: [theirs, this.own.publicKey] });
  }

  async decrypt(armored: string): Promise<string> {
    if (!this.own) throw new Error('no private key');
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: armored }), decryptionKeys: this.own.privateKey });
    return String(data);
  }

  async encryptFile(contact: string, data: Uint8Array): Promise<string> {
    const theirs = this.contacts.get(contact);
    if (!this.own || !theirs) throw new Error('no key');
    return openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), encryptionKeys: [theirs, this.own.publicKey], format: 'armored' });
  }

  async decryptFile(data: Uint8Array): Promise<Uint8Array> {
    if (!this.own) throw new Error('no private key');
    const text = new TextDecoder('latin1').decode(data);
    let message: openpgp.Message<Uint8Array>;
    if (text.includes('-----BEGIN PGP MESSAGE-----')) message = (await openpgp.readMessage({ armoredMessage: text })) as openpgp.Message<Uint8Array>;
    else if (/^[A-Za-z0-9+/=\s]+$/.test(text)) message = await openpgp.readMessage({ binaryMessage: Uint8Array.from(atob(text.replace(/\s+/g, '')), (c) => c.charCodeAt(0)) });
    else message = await openpgp.readMessage({ binaryMessage: data });
    const { data: plain } = await openpgp.decrypt({ message, decryptionKeys: this.own.privateKey, format: 'binary' });
    return plain as Uint8Array;
  }

  private setState(s: KeyState): void {
    this.state = s;
    this.host.keysChanged();
  }
}
