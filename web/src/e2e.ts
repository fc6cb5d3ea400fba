/**
 * What the session needs from end-to-end encryption (implemented in pgp.ts, loaded on demand).
 */
export interface E2E {
  /** The connection is (again) signed in: publish or check the own key. */
  connected(): void;
  /** Ask the server for a contact's public key (answer: `lookupAnswer`). */
  lookup(contact: string): void;
  lookupAnswer(uri: string, key: string | null): void;
  /** A public key received from `contact` (message or journal). */
  publicKeyOf(contact: string, armored: string): void;
  /** A private key sent by another device of this account. */
  privateKeyFromOtherDevice(content: string): void;
  canEncryptTo(contact: string): boolean;
  encrypt(contact: string, text: string): Promise<string>;
  decrypt(armored: string): Promise<string>;
  /** A file for the contact and the own key, armored (uploaded as `<name>.asc`). */
  encryptFile(contact: string, data: Uint8Array): Promise<string>;
  /** A downloaded `.asc` file: armored, base64 or binary OpenPGP. */
  decryptFile(data: Uint8Array): Promise<Uint8Array>;
}
