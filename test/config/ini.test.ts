import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIni } from '../../src/config/ini.js';

const value = (text: string, section: string, key: string): string | undefined => parseIni(text).sections.get(section)?.entries.get(key)?.value;

test('sections, key = value, key : value, whitespace trimmed', () => {
  const doc = parseIni('[Server]\n  log_level   =   debug  \nspool_dir: /tmp/x\n[SIP]\nlocal_ip=127.0.0.1\n');
  assert.equal(doc.sections.get('Server')?.entries.get('log_level')?.value, 'debug');
  assert.equal(doc.sections.get('Server')?.entries.get('spool_dir')?.value, '/tmp/x');
  assert.equal(doc.sections.get('SIP')?.entries.get('local_ip')?.value, '127.0.0.1');
  assert.deepEqual(doc.diagnostics, []);
});

test('the first = or : splits, so values may contain both', () => {
  assert.equal(value('[General]\nhttp_management_interface = 127.0.0.1:20888\n', 'General', 'http_management_interface'), '127.0.0.1:20888');
  assert.equal(value('[Server]\napplication_map = echo:echo, a=b\n', 'Server', 'application_map'), 'echo:echo, a=b');
});

test('whole-line ; and # comments; no inline comments; no interpolation', () => {
  const text = '; comment\n# comment\n[S]\n  ; indented comment\nk = a ; b # c\np = %(k)s\n';
  assert.equal(value(text, 'S', 'k'), 'a ; b # c');
  assert.equal(value(text, 'S', 'p'), '%(k)s');
  assert.equal(parseIni(text).sections.get('S')?.entries.size, 2);
});

test('text after a section header is ignored, as by ConfigParser', () => {
  const doc = parseIni('[SIP] ; the SIP section\nlocal_ip = 127.0.0.1\n');
  assert.equal(doc.sections.get('SIP')?.entries.get('local_ip')?.value, '127.0.0.1');
  assert.deepEqual(doc.diagnostics, []);
});

test('keys and sections are case-sensitive; - in keys reads as _', () => {
  const doc = parseIni('[General]\nWeb-Origins = a\nweb-origins = b\n[general]\nx = 1\n');
  const g = doc.sections.get('General')!;
  assert.equal(g.entries.get('Web_Origins')?.value, 'a');
  assert.equal(g.entries.get('web_origins')?.value, 'b');
  assert.ok(doc.sections.has('general'));
  assert.notEqual(doc.sections.get('general'), g);
});

test('empty values, continuation lines, CRLF and BOM', () => {
  const doc = parseIni('\uFEFF[SIP]\r\nlocal_udp_port =\r\ntrusted_peers = 10.0.0.0/8,\r\n   192.168.0.0/16\r\nx = 1\r\n');
  const s = doc.sections.get('SIP')!;
  assert.equal(s.entries.get('local_udp_port')?.value, '');
  assert.equal(s.entries.get('trusted_peers')?.value, '10.0.0.0/8,\n192.168.0.0/16');
  assert.equal(s.entries.get('x')?.value, '1');
});

test('line numbers, repeated keys (last wins) and repeated sections (merged) with diagnostics', () => {
  const doc = parseIni('[A]\nk = 1\n[B]\n[A]\nk = 2\nj = 3\n');
  const a = doc.sections.get('A')!;
  assert.equal(a.entries.get('k')?.value, '2');
  assert.equal(a.entries.get('k')?.line, 5);
  assert.equal(a.entries.get('j')?.value, '3');
  assert.equal(doc.diagnostics.length, 2);
});

test('syntax errors are diagnostics with line numbers and the rest is read', () => {
  const doc = parseIni('orphan = 1\n[S]\njust a line\n= novalue\nk = v\n');
  assert.deepEqual(
    doc.diagnostics.map((d) => d.line),
    [1, 3, 4],
  );
  assert.equal(doc.sections.get('S')?.entries.get('k')?.value, 'v');
  assert.equal(doc.sections.get('S')?.entries.size, 1);
});
