import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, parseXml, XmlError } from '../../src/payload/xml.js';

describe('payload/xml', () => {
  it('resolves default and prefixed namespaces, entities, CDATA, comments', () => {
    const root = parseXml(`<?xml version="1.0"?><!-- c --><a xmlns="urn:a" xmlns:b="urn:b" b:attr="1 &lt; 2"><b:c>&#x41;&amp;<![CDATA[<raw>]]></b:c><d/></a>`);
    assert.equal(root.ns, 'urn:a');
    assert.equal(root.attrs.attr, '1 < 2');
    assert.equal(root.children[0]!.ns, 'urn:b');
    assert.equal(root.children[0]!.text, 'A&<raw>');
    assert.equal(root.children[1]!.ns, 'urn:a');
  });
  it('refuses DTDs, unknown entities, mismatched tags, undeclared prefixes, two roots, deep nesting', () => {
    for (const bad of [
      '<!DOCTYPE a><a/>',
      '<a>&foo;</a>',
      '<a></b>',
      '<p:a/>',
      '<a/><b/>',
      '<a>',
      'text<a/>',
      '<a>' + '<b>'.repeat(40) + '</b>'.repeat(40) + '</a>',
    ]) {
      assert.throws(() => parseXml(bad), XmlError, bad);
    }
  });
  it('escapes the five special characters', () => {
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
