/**
 * `account-update-addressbook` (`sylkrtc-websocket.md` §11.2): add, update or delete a contact, group
 * or policy, or (react-native-sylkrtc 2.0) add or delete a `groupMember` (`data` `{groupId,
 * contactId}`). Objects keep their `attributes` intact (quirk 18 fixed); the result goes to every
 * binding of the account as `addressbook-updated` (a membership change as the group's update), or
 * `addressbook-update-failed` to this one with `retryable` (react-native-sylkrtc 2.0.2).
 */
import { z } from 'zod';
import { logger } from '../../util/logger.js';
import { AddressBookError, type AddressBookObject, type GroupMember as GroupMemberData } from '../addressbook.js';
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

export const GroupMember = z.object({ groupId: z.string(), contactId: z.string() });

const OBJECT_SCHEMAS = { contact: Contact, group: Group, policy: Policy, groupMember: GroupMember } as const;
const OBJECT_CLASSES = { contact: 'Contact', group: 'Group', policy: 'Policy', groupMember: 'GroupMember' } as const;

export const accountUpdateAddressbook = defineRequest({
  name: 'account-update-addressbook',
  className: 'AccountUpdateAddressbookRequest',
  schema: z.object({
    ...base('account-update-addressbook'),
    account: aor,
    action: z.enum(['add', 'update', 'delete']),
    type: z.enum(['contact', 'group', 'policy', 'groupMember']),
    data: z.record(z.string(), z.unknown()),
  }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    let object: AddressBookObject | GroupMemberData;
    if (req.action === 'delete' && req.type !== 'groupMember') {
      // Quirk of §11.2: a delete needs only the id.
      if (typeof req.data.id !== 'string') throw new RequestError(Errors.missingProperty('id', OBJECT_CLASSES[req.type]));
      object = { ...req.data, id: req.data.id };
    } else {
      const parsed = OBJECT_SCHEMAS[req.type].safeParse(req.data, { reportInput: true });
      if (!parsed.success) throw new RequestError(formatIssue(parsed.error.issues[0]!, OBJECT_CLASSES[req.type]));
      object = parsed.data as AddressBookObject | GroupMemberData;
    }
    const id = 'groupId' in object ? object.groupId : object.id;
    let stored: AddressBookObject;
    try {
      stored = await ctx.addressBook.apply(b.aor, req.action, req.type, object);
    } catch (err) {
      // `retryable`: true when the same change may succeed later (a storage failure).
      const known = err instanceof AddressBookError;
      if (!known) log.error({ err }, 'address book update failed');
      const failure = { type: req.type, action: req.action, error: known ? err.message : Errors.internal, id, retryable: known ? err.retryable : true };
      return () => b.event('addressbook-update-failed', failure);
    }
    return () => {
      // A group membership change is announced as the group's update, which every client applies.
      const members =
        req.type === 'groupMember' ? { type: 'group', action: 'update', group: stored } : { type: req.type, action: req.action, [req.type]: stored };
      for (const other of ctx.registry.bindings(b.aor)) if (other instanceof Binding) other.event('addressbook-updated', members);
      if (!ctx.registry.bindings(b.aor).has(b)) b.event('addressbook-updated', members);
    };
  },
});
