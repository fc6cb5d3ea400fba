import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, formatConfig, webBaseUrl, enabledSipTransports, configAdvice, type LoadConfigOptions } from '../../src/config/index.js';
import { parseIni } from '../../src/config/ini.js';
import { defaultRouteIPv4, varDirectory, defaultLocalConfigDir } from '../../src/config/paths.js';
import { isIP } from 'node:net';

const root = mkdtempSync(join(tmpdir(), 'sylk-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh directory holding the given files. */
function dir(files: Record<string, string>): string {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const base: LoadConfigOptions = { systemDir: null, userDir: null, defaultIp: '192.0.2.10', cwd: '/srv/sylk', scriptPath: '/opt/x/src/cli/sylk-server.ts', log: false };

test('with no files at all: the original defaults', () => {
  const c = loadConfig({ ...base, configDir: dir({}) });
  assert.equal(c.SIP.local_ip, '192.0.2.10');
  assert.equal(c.SIP.local_udp_port, 5060);
  assert.equal(c.SIP.local_tcp_port, 5060);
  assert.equal(c.SIP.local_tls_port, 5061);
  assert.deepEqual(c.SIP.trusted_peers, [{ kind: 'cidr', address: '0.0.0.0', prefix: 0, family: 4 }]);
  assert.equal(c.WebServer.local_ip, '192.0.2.10');
  assert.equal(c.WebServer.local_port, 10888);
  assert.equal(c.Server.default_application, 'conference');
  assert.deepEqual(c.Server.application_map, { echo: 'echo' });
  assert.equal(c.Server.log_level, 'info');
  assert.equal(c.Server.spool_dir, '/srv/sylk/var/spool/sylkserver');
  assert.deepEqual(c.General.web_origins, ['*']);
  assert.deepEqual(c.General.sip_domains, ['*']);
  assert.equal(c.General.outbound_sip_proxy, null);
  assert.equal(c.General.websocket_ping_interval, 120);
  assert.equal(c.General.filetransfer_expire_days, 15);
  assert.equal(c.General.local_sip_messages, false);
  assert.deepEqual(c.General.http_management_interface, { host: '127.0.0.1', port: 20888 });
  assert.equal(c.General.application_dir, '/srv/sylk/var/lib/sylkserver/webrtcgateway');
  assert.equal(c.General.file_transfer_dir, '/srv/sylk/var/lib/sylkserver/webrtcgateway/file_transfers');
  assert.equal(c.FileStorage.storage_dir, '/srv/sylk/var/lib/sylkserver/webrtcgateway/storage');
  assert.equal(c.Storage.backend, 'sqlite');
  assert.equal(c.Storage.sqlite_path, '/srv/sylk/var/lib/sylkserver/webrtcgateway/storage/journal.sqlite');
  assert.equal(c.Storage.retention_days, 365);
  assert.equal(c.Storage.group_commit, true);
  assert.equal(c.Storage.postgres_url, null);
  assert.deepEqual(c.Cassandra.cluster_contact_points, []);
  assert.equal(c.Janus.api_url, 'ws://127.0.0.1:8188');
  assert.equal(c.ExternalAuth.enable, false);
  assert.deepEqual(c.meta.filesRead, []);
  assert.deepEqual(c.meta.warnings, []);
  assert.equal(c.meta.sources.SIP?.local_ip?.origin, 'default');
  assert.deepEqual(enabledSipTransports(c), ['udp', 'tcp']);
  assert.equal(webBaseUrl(c, 10888), 'http://192.0.2.10:10888');
});

test('system, user and local copies are all read, later overriding earlier key by key', () => {
  const system = dir({
    'config.ini': '[SIP]\nlocal_ip = 10.0.0.1\nlocal_udp_port = 5070\nlocal_tcp_port = 5071\n[Server]\nlog_level = debug\n',
    'webrtcgateway.ini': '[General]\nsip_domains = a.example\n',
  });
  const user = dir({ 'config.ini': '[SIP]\nlocal_udp_port = 5080\n' });
  const local = dir({ 'config.ini': '[SIP]\nlocal_tcp_port = 5091\n', 'webrtcgateway.ini': '[General]\nweb_origins = https://w.example\n' });
  const c = loadConfig({ ...base, systemDir: system, userDir: user, configDir: local });
  assert.equal(c.SIP.local_ip, '10.0.0.1');
  assert.equal(c.SIP.local_udp_port, 5080);
  assert.equal(c.SIP.local_tcp_port, 5091);
  assert.equal(c.Server.log_level, 'debug');
  assert.deepEqual(c.General.sip_domains, ['a.example']);
  assert.deepEqual(c.General.web_origins, ['https://w.example']);
  assert.deepEqual(c.meta.filesRead, [
    join(system, 'config.ini'),
    join(user, 'config.ini'),
    join(local, 'config.ini'),
    join(system, 'webrtcgateway.ini'),
    join(local, 'webrtcgateway.ini'),
  ]);
  assert.deepEqual(c.meta.sources.SIP?.local_ip, { file: 'config.ini', origin: join(system, 'config.ini'), line: 2 });
  assert.equal(c.meta.sources.SIP?.local_udp_port?.origin, join(user, 'config.ini'));
  assert.equal(c.meta.sources.SIP?.local_tcp_port?.origin, join(local, 'config.ini'));
  assert.equal(c.meta.sources.SIP?.local_tls_port?.origin, 'default');
  assert.deepEqual(c.meta.dirs, { system, user, local });
});

test('a directory given twice is read once; missing directories are skipped', () => {
  const d = dir({ 'config.ini': '[SIP]\nlocal_udp_port = 5080\n' });
  const c = loadConfig({ ...base, systemDir: d, userDir: join(root, 'missing'), configDir: d });
  assert.deepEqual(c.meta.filesRead, [join(d, 'config.ini')]);
});

test('empty ports disable UDP/TCP; TLS needs ca_file and certificate', () => {
  const c = loadConfig({ ...base, configDir: dir({ 'config.ini': '[SIP]\nlocal_udp_port =\nlocal_tcp_port = 5060\n' }) });
  assert.equal(c.SIP.local_udp_port, null);
  assert.deepEqual(enabledSipTransports(c), ['tcp']);
  const t = loadConfig({ ...base, configDir: dir({ 'config.ini': '[Server]\nca_file = /etc/ca.pem\ncertificate = /etc/cert.pem\n[SIP]\nlocal_tcp_port =\n' }) });
  assert.deepEqual(enabledSipTransports(t), ['udp', 'tls']);
});

test('every value syntax is read into its typed value', () => {
  const c = loadConfig({
    ...base,
    configDir: dir({
      'config.ini': [
        '[Server]',
        'default_application = WebRTCGateway',
        'application_map = echo:echo, playback:playback',
        'disabled-applications = ircconference, xmppgateway',
        'trace_sip = On',
        'spool_dir = spool',
        '[SIP]',
        'trusted_peers = 10.0.0.0/8, 192.0.2.1, proxy.example.com',
        'outbound_proxy = proxy.example.com:5062;transport=tcp',
        'advertised_ip = 203.0.113.5',
        'max_message_size = 131072',
        '[WebServer]',
        'local_port = 0',
        'public_port = 443',
        'hostname = sylk.example.com',
        'certificate = /etc/tls/web.pem',
        '',
      ].join('\n'),
      'webrtcgateway.ini': [
        '[General]',
        'web_origins = none',
        'outbound_sip_proxy = 10.0.0.2',
        'local_sip_messages = yes',
        'http_management_interface = 0.0.0.0:9999',
        'sylk_push_url = https://push.example.com:8400/push',
        'application_dir = /data/app',
        '[Cassandra]',
        'cluster_contact_points = cas1, cas2',
        'keyspace = sylk',
        '[Storage]',
        'retention_days = 0',
        'group_commit = no',
        '',
      ].join('\n'),
    }),
  });
  assert.equal(c.Server.default_application, 'webrtcgateway');
  assert.deepEqual(c.Server.application_map, { echo: 'echo', playback: 'playback' });
  assert.deepEqual(c.Server.disabled_applications, ['ircconference', 'xmppgateway']);
  assert.equal(c.Server.trace_sip, true);
  assert.equal(c.Server.spool_dir, join(process.cwd(), 'spool'));
  assert.equal(c.General.recording_dir, join(process.cwd(), 'spool', 'videoconference', 'recordings'));
  assert.deepEqual(c.SIP.trusted_peers, [
    { kind: 'cidr', address: '10.0.0.0', prefix: 8, family: 4 },
    { kind: 'cidr', address: '192.0.2.1', prefix: 32, family: 4 },
    { kind: 'host', host: 'proxy.example.com' },
  ]);
  assert.deepEqual(c.SIP.outbound_proxy, { host: 'proxy.example.com', port: 5062, transport: 'tcp' });
  assert.equal(c.SIP.advertised_ip, '203.0.113.5');
  assert.equal(c.SIP.max_message_size, 131072);
  assert.equal(c.WebServer.local_port, 0);
  assert.equal(webBaseUrl(c, 12345), 'https://sylk.example.com:443');
  assert.deepEqual(c.General.web_origins, []);
  assert.deepEqual(c.General.outbound_sip_proxy, { host: '10.0.0.2', port: 5060, transport: 'udp' });
  assert.equal(c.General.local_sip_messages, true);
  assert.deepEqual(c.General.http_management_interface, { host: '0.0.0.0', port: 9999 });
  assert.equal(c.General.sylk_push_url, 'https://push.example.com:8400/push');
  // Derived defaults follow the values they derive from.
  assert.equal(c.General.file_transfer_dir, '/data/app/file_transfers');
  assert.equal(c.FileStorage.storage_dir, '/data/app/storage');
  assert.equal(c.Storage.sqlite_path, '/data/app/storage/journal.sqlite');
  // [Cassandra] cluster_contact_points set → backend cassandra unless [Storage] says otherwise.
  assert.deepEqual(c.Cassandra.cluster_contact_points, ['cas1', 'cas2']);
  assert.equal(c.Storage.backend, 'cassandra');
  assert.equal(c.Storage.retention_days, 0);
  assert.equal(c.Storage.group_commit, false);
  assert.deepEqual(c.meta.warnings, []);
});

test('explicit [Storage] backend wins over the Cassandra compatibility default', () => {
  const c = loadConfig({
    ...base,
    configDir: dir({ 'webrtcgateway.ini': '[Cassandra]\ncluster_contact_points = cas1\n[Storage]\nbackend = Postgres\npostgres_url = postgres://u@127.0.0.1/db\n' }),
  });
  assert.equal(c.Storage.backend, 'postgres');
  assert.equal(c.Storage.postgres_url, 'postgres://u@127.0.0.1/db');
});

test('invalid values warn naming file, section and key, and keep the default', () => {
  const d = dir({
    'config.ini': '[SIP]\nlocal_udp_port = 70000\nlocal_ip = example.com\ntrusted_peers = 10.0.0.0/40\n[Server]\nlog_level = verbose\ndefault_application = nosuchapp\n',
    'webrtcgateway.ini': '[General]\nlocal_sip_messages = maybe\noutbound_sip_proxy = p;transport=sctp\n[Storage]\nbackend = mysql\n',
  });
  const c = loadConfig({ ...base, configDir: d });
  assert.equal(c.SIP.local_udp_port, 5060);
  assert.equal(c.SIP.local_ip, '192.0.2.10');
  assert.deepEqual(c.SIP.trusted_peers, [{ kind: 'cidr', address: '0.0.0.0', prefix: 0, family: 4 }]);
  assert.equal(c.Server.log_level, 'info');
  assert.equal(c.Server.default_application, 'conference');
  assert.equal(c.General.local_sip_messages, false);
  assert.equal(c.General.outbound_sip_proxy, null);
  assert.equal(c.Storage.backend, 'sqlite');
  assert.equal(c.meta.sources.SIP?.local_udp_port?.origin, 'default');
  const seen = c.meta.warnings.map((w) => [w.file, w.section, w.key]);
  assert.deepEqual(seen, [
    [join(d, 'config.ini'), 'SIP', 'local_udp_port'],
    [join(d, 'config.ini'), 'SIP', 'local_ip'],
    [join(d, 'config.ini'), 'SIP', 'trusted_peers'],
    [join(d, 'config.ini'), 'Server', 'log_level'],
    [join(d, 'config.ini'), 'Server', 'default_application'],
    [join(d, 'webrtcgateway.ini'), 'General', 'local_sip_messages'],
    [join(d, 'webrtcgateway.ini'), 'General', 'outbound_sip_proxy'],
    [join(d, 'webrtcgateway.ini'), 'Storage', 'backend'],
  ]);
  const w = c.meta.warnings[0]!;
  assert.equal(w.line, 2);
  assert.match(w.message, /config\.ini: \[SIP\] local_udp_port = "70000" is invalid .*keeping the default/);
});

test('an invalid value in a later file keeps the earlier file\'s value', () => {
  const sys = dir({ 'config.ini': '[SIP]\nlocal_udp_port = 5070\n' });
  const loc = dir({ 'config.ini': '[SIP]\nlocal_udp_port = udp\n' });
  const c = loadConfig({ ...base, systemDir: sys, configDir: loc });
  assert.equal(c.SIP.local_udp_port, 5070);
  assert.equal(c.meta.sources.SIP?.local_udp_port?.origin, join(sys, 'config.ini'));
  assert.match(c.meta.warnings[0]!.message, new RegExp(`keeping the value from ${join(sys, 'config.ini')}`));
});

test('unknown keys and sections warn; room, auth-domain and ignored media sections do not', () => {
  const d = dir({
    'config.ini': '[SIP]\nlocal_ip = 127.0.0.1\nno_such_key = 1\n[RTP]\nport_range = 50000:50500\n[Sip]\nlocal_ip = 10.0.0.1\nbroken line\n',
    'webrtcgateway.ini': '[room@conference.example.com]\ninvite_participants = a@example.com, b@example.com\nrecord = yes\n[Bogus]\nx = 1\n',
    'auth.ini': '[ExternalAuth]\nenable = yes\n[example.com]\nauth_type = imap\nimap_server = imap.example.com\nfoo = bar\n',
  });
  const c = loadConfig({ ...base, configDir: d });
  assert.equal(c.SIP.local_ip, '127.0.0.1');
  assert.deepEqual(c.rooms, { 'room@conference.example.com': { invite_participants: ['a@example.com', 'b@example.com'] } });
  assert.equal(c.ExternalAuth.enable, true);
  assert.deepEqual(c.authDomains, { 'example.com': { auth_type: 'IMAP', imap_server: 'imap.example.com' } });
  assert.equal(c.meta.sources['example.com']?.auth_type?.origin, join(d, 'auth.ini'));
  const got = c.meta.warnings.map((w) => `${w.file.slice(d.length + 1)} ${w.section ?? ''} ${w.key ?? ''} ${w.line ?? ''}`.trim());
  assert.deepEqual(got, [
    'config.ini   8',
    'config.ini SIP no_such_key 3',
    'config.ini Sip',
    'webrtcgateway.ini Bogus',
    'auth.ini example.com foo 6',
  ]);
});

test('keys with - read as _, keys are case-sensitive', () => {
  const c = loadConfig({ ...base, configDir: dir({ 'config.ini': '[SIP]\nlocal-udp-port = 5999\nLocal_Tcp_Port = 1\n' }) });
  assert.equal(c.SIP.local_udp_port, 5999);
  assert.equal(c.SIP.local_tcp_port, 5060);
  assert.deepEqual(c.meta.warnings.map((w) => w.key), ['Local_Tcp_Port']);
});

test('the result is deeply frozen', () => {
  const c = loadConfig({ ...base, configDir: dir({}) });
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.SIP));
  assert.ok(Object.isFrozen(c.SIP.trusted_peers));
  assert.ok(Object.isFrozen(c.SIP.trusted_peers[0]));
  assert.ok(Object.isFrozen(c.meta.sources.SIP));
  assert.throws(() => {
    (c.SIP as { local_ip: string }).local_ip = 'x';
  }, TypeError);
});

test('--print-config output names each value\'s source and reads back to the same configuration', () => {
  const d = dir({
    'config.ini': '[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port =\ntrusted_peers = 10.0.0.0/8, p.example.com\n[Server]\napplication_map = a:b\n',
    'webrtcgateway.ini': '[General]\noutbound_sip_proxy = p.example.com;transport=tcp\n[r@x.example]\ninvite_participants = a@x.example\n',
    'auth.ini': '[x.example]\nauth_type = IMAP\n',
  });
  const c = loadConfig({ ...base, configDir: d });
  const text = formatConfig(c);
  assert.ok(text.includes(`; ${join(d, 'config.ini')}:2\nlocal_ip = 127.0.0.1\n`));
  assert.ok(text.includes(`; ${join(d, 'config.ini')}:3\nlocal_udp_port =\n`));
  assert.ok(text.includes('; default\nlocal_tcp_port = 5060\n'));
  assert.ok(text.includes('; default\nbackend = sqlite\n'));
  assert.match(text, /^\[r@x\.example\]$/m);
  // Split at the file markers, write the files and load them again: same values.
  const again: Record<string, string> = {};
  for (const part of text.split(/^;;; /m).slice(1)) {
    const nl = part.indexOf('\n');
    again[part.slice(0, nl)] = part.slice(nl + 1);
  }
  assert.deepEqual(Object.keys(again), ['config.ini', 'webrtcgateway.ini', 'auth.ini']);
  for (const t of Object.values(again)) assert.deepEqual(parseIni(t).diagnostics, []);
  const c2 = loadConfig({ ...base, configDir: dir(again) });
  assert.deepEqual(c2.meta.warnings, []);
  const { meta: _m1, ...v1 } = c;
  const { meta: _m2, ...v2 } = c2;
  assert.deepEqual(v2, v1);
});

test('web base URL: hostname or listening IP, public port or listening port, IPv6 in brackets', () => {
  const ws = (o: Record<string, unknown>) => ({ WebServer: { ...loadConfig({ ...base, configDir: dir({}) }).WebServer, ...o } });
  assert.equal(webBaseUrl(ws({ local_ip: '::1' }), 8080), 'http://[::1]:8080');
  assert.equal(webBaseUrl(ws({ hostname: 'sylk.example.com', certificate: '/c.pem' }), 8443), 'https://sylk.example.com:8443');
  assert.equal(webBaseUrl(ws({ public_port: 443 }), 10888), 'http://192.0.2.10:443');
});

test('combinations that do not work together are reported', () => {
  assert.deepEqual(configAdvice(loadConfig({ ...base, configDir: dir({}) })), []);
  const c = loadConfig({
    ...base,
    configDir: dir({
      'config.ini': '[ThorNetwork]\nenabled = yes\n[Server]\ndisabled_applications = webrtcgateway\nca_file = /etc/ca.pem\n[SIP]\nlocal_udp_port =\nlocal_tcp_port =\n[WebServer]\ncertificate_chain = /etc/chain.pem\n',
      'webrtcgateway.ini': '[General]\nlocal_sip_messages = yes\n[Storage]\nbackend = cassandra\n',
    }),
  });
  const advice = configAdvice(c);
  assert.equal(advice.length, 8, advice.join('\n'));
  assert.match(advice.join('\n'), /local_sip_messages needs SIP over TCP/);
  assert.match(formatConfig(c), /^; warning: no SIP transport is enabled/m);
});

test('--print-config masks secrets', () => {
  const d = dir({
    'webrtcgateway.ini': '[General]\nhttp_management_auth_secret = s3cret\n[Janus]\napi_secret = j4nus\n[Storage]\npostgres_url = postgres://sylk:pa55@db.example.com:5432/sylk\n',
  });
  const c = loadConfig({ ...base, configDir: d });
  assert.equal(c.General.http_management_auth_secret, 's3cret');
  const text = formatConfig(c);
  assert.doesNotMatch(text, /s3cret|j4nus|pa55/);
  assert.match(text, /^http_management_auth_secret = <hidden>$/m);
  assert.match(text, /^api_secret = <hidden>$/m);
  assert.match(text, /^postgres_url = postgres:\/\/sylk:\*\*\*@db\.example\.com:5432\/sylk$/m);
});

test('var directory, local directory and default IP rules', () => {
  assert.equal(varDirectory('/usr/local/bin/sylk-server'), '/var');
  assert.equal(varDirectory('/opt/sylk/bin/sylk-server'), '/var');
  assert.equal(varDirectory('/home/u/sylk/src/cli/sylk-server.ts', '/home/u/run'), '/home/u/run/var');
  assert.equal(defaultLocalConfigDir('/usr/bin/sylk-server'), null);
  assert.equal(defaultLocalConfigDir('/home/u/sylk/sylk-server'), '/home/u/sylk');
  assert.equal(defaultLocalConfigDir(undefined), null);
  const ipv4 = defaultRouteIPv4();
  assert.equal(isIP(ipv4), 4);
  // Without a --config-dir the script's directory is the local directory.
  const d = dir({ 'config.ini': '[SIP]\nlocal_udp_port = 5111\n' });
  const c = loadConfig({ systemDir: null, userDir: null, scriptPath: join(d, 'sylk-server'), log: false });
  assert.equal(c.SIP.local_udp_port, 5111);
  assert.equal(c.meta.dirs.local, d);
  assert.equal(c.meta.varDir, join(process.cwd(), 'var'));
});

test('the sample configuration in config/ loads without warnings and binds 127.0.0.1', () => {
  const sample = join(process.cwd(), 'config');
  const c = loadConfig({ ...base, configDir: sample });
  assert.deepEqual(c.meta.warnings, []);
  assert.deepEqual(c.meta.filesRead, [join(sample, 'config.ini'), join(sample, 'webrtcgateway.ini')]);
  assert.equal(c.SIP.local_ip, '127.0.0.1');
  assert.equal(c.WebServer.local_ip, '127.0.0.1');
  assert.equal(c.General.http_management_interface.host, '127.0.0.1');
  assert.equal(c.Storage.backend, 'sqlite');
  assert.ok(c.Storage.sqlite_path.startsWith('/srv/sylk/var/'), 'SQLite under ./var');
  assert.equal(c.Server.mode, 'standalone', 'npm start is a working service without a proxy');
  assert.equal(c.Accounts.allow_signup, false);
});

test('[Server] mode: absent → proxy (SylkServer behaviour); standalone; anything else warns and keeps proxy', () => {
  assert.equal(loadConfig({ ...base, configDir: dir({}) }).Server.mode, 'proxy');
  const c = loadConfig({ ...base, configDir: dir({ 'config.ini': '[Server]\nmode = standalone\n', 'webrtcgateway.ini': '[Accounts]\nallow_signup = yes\n' }) });
  assert.equal(c.Server.mode, 'standalone');
  assert.equal(c.Accounts.allow_signup, true);
  assert.match(formatConfig(c), /\[Server\]\n; \S+config\.ini:2\nmode = standalone\n/);
  const bad = loadConfig({ ...base, configDir: dir({ 'config.ini': '[Server]\nmode = registrar\n' }) });
  assert.equal(bad.Server.mode, 'proxy');
  assert.equal(bad.meta.warnings.length, 1);
  assert.match(bad.meta.warnings[0]!.message, /mode/);
  assert.match(formatConfig(loadConfig({ ...base, configDir: dir({}) })), /\[Server\]\n; default\nmode = proxy\n/);
});
