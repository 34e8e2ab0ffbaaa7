import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element, Node } from '@xmldom/xmldom';
import { adoptInto, descendants, parseStrict, serialize } from '../../src/wssecurity/xml-dom';

describe('adoptInto', () => {
  test('moves a parsed subtree into another document: every node and attribute belongs to it, none is left behind', () => {
    const message = parseStrict('<e:Envelope xmlns:e="urn:e"><e:Body/></e:Envelope>');
    const plaintext = parseStrict('<w xmlns:m="urn:m"><m:Order qty="2"><m:Item sku="A-1">Spade</m:Item></m:Order></w>');
    const body = message.documentElement!.firstChild!;
    const order = plaintext.documentElement!.firstChild as Element;
    body.appendChild(adoptInto(message, order));

    assert.equal(plaintext.documentElement!.firstChild, null);
    const owners: Node[] = [];
    for (const el of descendants(order)) {
      owners.push(el, ...Array.from({ length: el.attributes.length }, (_, i) => el.attributes.item(i)!));
      for (let c = el.firstChild; c; c = c.nextSibling) owners.push(c);
    }
    owners.push(order, order.attributes.item(0)!);
    assert.ok(
      owners.every((n) => n.ownerDocument === message),
      'owners.every((n) => n.ownerDocument === message)',
    );
    // The message document keeps its lists in step with later edits of the moved nodes.
    order.appendChild(message.createElementNS('urn:m', 'm:Item'));
    assert.equal(order.childNodes.length, 2);
    assert.equal(
      serialize(message),
      '<e:Envelope xmlns:e="urn:e"><e:Body><m:Order qty="2" xmlns:m="urn:m"><m:Item sku="A-1">Spade</m:Item><m:Item/></m:Order></e:Body></e:Envelope>',
    );
  });
});
