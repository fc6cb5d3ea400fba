import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildFtHttp, FtHttpError, parseFtHttp } from '../../src/payload/ft-http.js';

const DOC = `<?xml version='1.0' encoding='UTF-8'?>
<file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp" xmlns:x="urn:gsma:params:xml:ns:rcs:rcs:up:fthttpext">
  <file-info type="thumbnail"><file-size>100</file-size><content-type>image/jpeg</content-type><data url="https://t/x" until="u"/></file-info>
  <file-info type="file">
    <file-size>482113</file-size>
    <file-name>photo &amp; co.jpg</file-name>
    <content-type>image/jpeg</content-type>
    <data url="https://sylk.example.com:443/webrtcgateway/filetransfer/a/b/t/photo.jpg" until="2024-05-16T10:00:00+02:00"/>
    <x:file-hash>sha-1:3A:7F</x:file-hash>
  </file-info>
</file>`;

describe('payload/ft-http', () => {
  it('parses the file entry, ignoring thumbnails (§4.4)', () => {
    assert.deepEqual(parseFtHttp(DOC), {
      size: 482113,
      name: 'photo & co.jpg',
      contentType: 'image/jpeg',
      url: 'https://sylk.example.com:443/webrtcgateway/filetransfer/a/b/t/photo.jpg',
      until: '2024-05-16T10:00:00+02:00',
      hash: 'sha-1:3A:7F',
    });
  });
  it('round-trips what it builds', () => {
    const f = { size: 3, name: 'a"b<c>.txt', contentType: 'text/plain', url: 'https://h/x?a=1&b=2', until: null, hash: null };
    assert.deepEqual(parseFtHttp(buildFtHttp(f)), f);
  });
  it('rejects documents without a usable file entry', () => {
    assert.throws(() => parseFtHttp(DOC.replace('<file-size>482113</file-size>', '<file-size>big</file-size>')), FtHttpError);
    assert.throws(() => parseFtHttp(DOC.replace(/<file-info type="file">[\s\S]*<\/file-info>\n/, '')), /no file-info/);
    assert.throws(() => parseFtHttp('<file xmlns="urn:x"/>'), FtHttpError);
  });
});
