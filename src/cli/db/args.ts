/**
 * Command line of `sylk-db` (`sylk-db.md` §1) plus our additions: `--yes`, `--store`, `export`,
 * `import`, `migrate`. Parsed with `node:util` `parseArgs`; options may appear anywhere.
 */
import { parseArgs } from 'node:util';

export type Command =
  | { name: 'help'; topic: string | null }
  | { name: 'dbinit' }
  | { name: 'remove'; what: 'all' | 'messages' | 'api_token' | 'push_token' | 'public_key'; account: string; contact: string | null }
  | { name: 'show'; account: string }
  | { name: 'export'; account: string; output: string | null }
  | { name: 'import'; input: string }
  | { name: 'migrate'; to: string; state: string; restart: boolean }
  | AccountCommand;

/** `sylk-db account ...` (`standalone.md` §2): the local accounts of standalone mode. */
export type AccountCommand =
  | { name: 'account'; action: 'add'; account: string; passwordStdin: boolean; displayName: string | null }
  | { name: 'account'; action: 'passwd'; account: string; passwordStdin: boolean }
  | { name: 'account'; action: 'list'; domain: string | null; json: boolean }
  | { name: 'account'; action: 'disable' | 'enable' | 'remove'; account: string };

export interface Invocation {
  configDir: string | null;
  store: string | null;
  yes: boolean;
  command: Command;
}

export class UsageError extends Error {}

export const HELP: Record<string, string> = {
  main: `usage: sylk-db [-h] [--config-dir PATH] [--store URL] [--yes] <command> ...

SylkServer messaging storage maintenance.

commands:
  dbinit                              initialize/Update database (default)
  remove all <account>                remove all data from an account
  remove messages <account> [contact] remove all messages from an account (optional contact to remove messages from)
  remove api_token <account>          remove api token from an account
  remove push_token <account>         remove push token(s) from an account
  remove public_key <account>         remove public key from an account
  show <account>                      show all data from an account
  export <account> [-o FILE]          write the account's journal, keys and tokens as JSON lines
  import [FILE]                       read what export wrote (default: standard input)
  migrate --to URL [--state FILE] [--restart]
                                      copy everything to another store (resumable)
  account add|passwd|list|disable|enable|remove ...
                                      local accounts of standalone mode (sylk-db account --help)

options:
  -h, --help         show this help (also after a command)
  --config-dir PATH  local configuration directory (config.ini, webrtcgateway.ini)
  --store URL        use this store instead of the configured one
                     (sqlite:<path>, postgres://..., cassandra://host[,host]/keyspace)
  -y, --yes          answer yes to every confirmation; a token pick answers "all"

<account> is an AOR user@domain without "sip:". Exit status: 0 success or declined,
1 failure (unreachable store, unknown account, interrupted prompt), 2 bad arguments.`,
  dbinit: `usage: sylk-db dbinit

initialize/Update database: Cassandra keyspace and tables (asks before each change);
SQLite/PostgreSQL: apply the schema migrations.`,
  remove: `usage: sylk-db remove {all,messages,api_token,push_token,public_key} <account> [contact]

remove data from an account`,
  show: `usage: sylk-db show <account>

show all data from an account`,
  export: `usage: sylk-db export <account> [-o FILE]

Write one JSON object per line: a header, the account record, API token, public key, private-key
message, push tokens, then every journal entry oldest first (created_at kept).`,
  import: `usage: sylk-db import [FILE]

Read the JSON lines written by export (several accounts may be concatenated) into the configured
store. Idempotent: entries already present (same account and message id) are skipped.`,
  migrate: `usage: sylk-db migrate --to URL [--state FILE] [--restart]

Copy every account (record, token, keys, push tokens, journal with created_at) from the configured
store to URL. Progress goes to stderr; the position is saved in the state file (default
./sylk-db-migrate.json) after every page, so an interrupted run resumes where it stopped.
--restart ignores a saved position. Ids of removed entries are not copied.`,
  account: `usage: sylk-db account <action> ...

Local accounts of standalone mode ([Server] mode = standalone): who may register SIP devices and
log in over the WebSocket API. Only the digest HA1s (MD5 and SHA-256, realm = domain) are stored.

  account add <aor> [--password-stdin] [--display-name NAME]
                                create an account (password asked twice on a terminal)
  account passwd <aor> [--password-stdin]
                                set a new password
  account list [--domain D] [--json]
                                list the accounts
  account disable <aor>         refuse its logins and registrations (data kept)
  account enable <aor>          allow them again
  account remove <aor> [--yes]  remove the account and its journal, keys, tokens and files

--password-stdin reads the password from the first line of standard input. A new account's domain
must be one of [General] sip_domains unless that is *. Passwords have at least 8 characters.`,
};

const ACCOUNT_ACTIONS = ['add', 'passwd', 'list', 'disable', 'enable', 'remove'] as const;

const REMOVE_WHAT = ['all', 'messages', 'api_token', 'push_token', 'public_key'] as const;

function checkAccount(account: string | undefined): string {
  if (!account) throw new UsageError('missing <account>');
  if (/^sips?:/i.test(account)) throw new UsageError(`account ${account}: give the AOR without "sip:"`);
  if (!/^[^@\s]+@[^@\s]+$/.test(account)) throw new UsageError(`account ${account}: expected user@domain`);
  return account;
}

export function parseCommandLine(argv: readonly string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'config-dir': { type: 'string' },
        store: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        to: { type: 'string' },
        state: { type: 'string' },
        restart: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        'password-stdin': { type: 'boolean' },
        'display-name': { type: 'string' },
        domain: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const base = {
    configDir: values['config-dir'] ?? null,
    store: values.store ?? null,
    yes: values.yes === true,
  };
  const [cmd, ...rest] = positionals;
  if (values.help || cmd === undefined) return { ...base, command: { name: 'help', topic: cmd ?? null } };
  const extra = (max: number): void => {
    if (rest.length > max) throw new UsageError(`${cmd}: unexpected argument ${rest[max]}`);
  };
  const onlyFor = (opt: 'to' | 'state' | 'restart' | 'output' | 'password-stdin' | 'display-name' | 'domain' | 'json', command: string): void => {
    if (values[opt] !== undefined && cmd !== command) throw new UsageError(`--${opt} only applies to ${command}`);
  };
  onlyFor('to', 'migrate');
  onlyFor('state', 'migrate');
  onlyFor('restart', 'migrate');
  onlyFor('output', 'export');
  for (const opt of ['password-stdin', 'display-name', 'domain', 'json'] as const) onlyFor(opt, 'account');
  switch (cmd) {
    case 'dbinit':
      extra(0);
      return { ...base, command: { name: 'dbinit' } };
    case 'remove': {
      const what = rest[0];
      if (!what || !(REMOVE_WHAT as readonly string[]).includes(what)) {
        throw new UsageError(`remove: expected one of ${REMOVE_WHAT.join(', ')}${what ? `, got ${what}` : ''}`);
      }
      const account = checkAccount(rest[1]);
      extra(what === 'messages' ? 3 : 2);
      return {
        ...base,
        command: { name: 'remove', what: what as (typeof REMOVE_WHAT)[number], account, contact: what === 'messages' ? (rest[2] ?? null) : null },
      };
    }
    case 'show':
      extra(1);
      return { ...base, command: { name: 'show', account: checkAccount(rest[0]) } };
    case 'export':
      extra(1);
      return { ...base, command: { name: 'export', account: checkAccount(rest[0]), output: values.output ?? null } };
    case 'import':
      extra(1);
      return { ...base, command: { name: 'import', input: rest[0] ?? '-' } };
    case 'migrate':
      extra(0);
      if (!values.to) throw new UsageError('migrate: --to URL is required');
      return {
        ...base,
        command: { name: 'migrate', to: values.to, state: values.state ?? 'sylk-db-migrate.json', restart: values.restart === true },
      };
    case 'account':
      return { ...base, command: parseAccountCommand(rest, values) };
    default:
      throw new UsageError(`unknown command ${cmd}`);
  }
}

function parseAccountCommand(
  rest: readonly string[],
  values: { 'password-stdin'?: boolean; 'display-name'?: string; domain?: string; json?: boolean },
): AccountCommand {
  const action = rest[0];
  if (!action || !(ACCOUNT_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`account: expected one of ${ACCOUNT_ACTIONS.join(', ')}${action ? `, got ${action}` : ''}`);
  }
  const only = (allowed: readonly string[]): void => {
    for (const opt of ['password-stdin', 'display-name', 'domain', 'json'] as const) {
      if (values[opt] !== undefined && !allowed.includes(opt)) throw new UsageError(`--${opt} does not apply to account ${action}`);
    }
  };
  const extra = (max: number): void => {
    if (rest.length > max) throw new UsageError(`account ${action}: unexpected argument ${rest[max]}`);
  };
  if (action === 'list') {
    only(['domain', 'json']);
    extra(1);
    return { name: 'account', action, domain: values.domain ?? null, json: values.json === true };
  }
  const account = checkAccount(rest[1]);
  extra(2);
  switch (action) {
    case 'add':
      only(['password-stdin', 'display-name']);
      return { name: 'account', action, account, passwordStdin: values['password-stdin'] === true, displayName: values['display-name'] ?? null };
    case 'passwd':
      only(['password-stdin']);
      return { name: 'account', action, account, passwordStdin: values['password-stdin'] === true };
    default:
      only([]);
      return { name: 'account', action: action as 'disable' | 'enable' | 'remove', account };
  }
}
