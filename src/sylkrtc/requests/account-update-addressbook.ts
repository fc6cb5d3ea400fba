/**
 * `account-update-addressbook` (`sylkrtc-websocket.md` §11.2): add, update or delete a contact, group
 * or policy. Objects keep their `attributes` intact (quirk 18 fixed); the result goes to every
 * binding of the account as `addressbook-updated` (or `addressbook-update-failed` to this one).
 */
import { z } from 'zod';
import { logger } from '../../util/logger.js';
import { AddressBookError, type AddressBookObject } from '../addressbook.js';
import { Binding } from '../binding.js';
import { Errors, RequestError, formatIssue } from '../errors.js';
import { aor, authenticated, optionalString } from './fields.js';
import { base, defineRequest } from './types.js';

const log = logger.child({ module: 'sylkrtc.handlers' });

const attributes = z.record(z.string(), z.unknown());
const policySubscribe = z.object({ policy: z.string(), subscribe: z.boolean() });
const ContactUri = z.object({
  id: z.string(),
  uri: z.string(),
  type: optionalString,
  attributes: attributes.nullish(),
  default: z.boolean().nullish(),
});
export const Contact = z
  .object({
    id: z.string(),
    name: z.string(),
    uris: z.array(ContactUri),
    dialog: policySubscribe,
    presence: policySubscribe,
    attributes: attributes.nullish(),
    defaultUri: ContactUri.nullish(),
    default_uri: ContactUri.nullish(),
  })
  .transform(({ default_uri, defaultUri, attributes: attrs, ...rest }) => ({
    ...rest,
    attributes: attrs ?? {},
    ...((defaultUri ?? default_uri ?? rest.uris[0]) ? { defaultUri: defaultUri ?? default_uri ?? rest.uris[0] } : {}),
  }));
export const Group = z.object({
  id: z.string(),
  name: z.string(),
  attributes: attributes.nullish().transform((a) => a ?? {}),
  contacts: z.array(Contact),
});
export const Policy = z.object({
  id: z.string(),
  name: z.string(),
  uri: z.string(),
  dialog: policySubscribe,
  presence: policySubscribe,
  attributes: attributes.nullish().transform((a) => a ?? {}),
});

const OBJECT_SCHEMAS = { contact: Contact, group: Group, policy: Policy } as const;
const OBJECT_CLASSES = { contact: 'Contact', group: 'Group', policy: 'Policy' } as const;

export const accountUpdateAddressbook = defineRequest({
  name: 'account-update-addressbook',
  className: 'AccountUpdateAddressbookRequest',
  schema: z.object({
    ...base('account-update-addressbook'),
    account: aor,
    action: z.enum(['add', 'update', 'delete']),
    type: z.enum(['contact', 'group', 'policy']),
    data: z.record(z.string(), z.unknown()),
  }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    let object: AddressBookObject;
    if (req.action === 'delete') {
      // Quirk of §11.2: a delete needs only the id.
      if (typeof req.data.id !== 'string') throw new RequestError(Errors.missingProperty('id', OBJECT_CLASSES[req.type]));
      object = { ...req.data, id: req.data.id };
    } else {
      const parsed = OBJECT_SCHEMAS[req.type].safeParse(req.data, { reportInput: true });
      if (!parsed.success) throw new RequestError(formatIssue(parsed.error.issues[0]!, OBJECT_CLASSES[req.type]));
      object = parsed.data as AddressBookObject;
    }
    let stored: AddressBookObject;
    try {
      stored = await ctx.addressBook.apply(b.aor, req.action, req.type, object);
    } catch (err) {
      const error = err instanceof AddressBookError ? err.message : Errors.internal;
      if (!(err instanceof AddressBookError)) log.error({ err }, 'address book update failed');
      return () => b.event('addressbook-update-failed', { type: req.type, action: req.action, error, id: object.id });
    }
    return () => {
      const members = { type: req.type, action: req.action, [req.type]: stored };
      for (const other of ctx.registry.bindings(b.aor)) if (other instanceof Binding) other.event('addressbook-updated', members);
      if (!ctx.registry.bindings(b.aor).has(b)) b.event('addressbook-updated', members);
    };
  },
});
