/** DeferredCounter: counts in plain numbers, shows exactly those counts at each scrape, per label set. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeferredCounter } from '../../src/util/deferred-counter.js';
import { registry } from '../../src/util/metrics.js';

test('one to three labels: each series counted apart, published at scrape, only the increase each time', async () => {
  const one = new DeferredCounter({ name: 'sylk_test_deferred_one_total', help: 'test', labelNames: ['kind'] as const });
  const three = new DeferredCounter({ name: 'sylk_test_deferred_three_total', help: 'test', labelNames: ['a', 'b', 'c'] as const });
  one.inc('x');
  one.inc('x');
  one.inc('y');
  three.inc('in', 'MESSAGE', 200);
  three.inc('in', 'MESSAGE', 404);
  three.inc('in', 'MESSAGE', 200);
  three.inc('out', 'MESSAGE', 200);
  let text = await registry.metrics();
  assert.match(text, /^sylk_test_deferred_one_total\{kind="x"\} 2$/m);
  assert.match(text, /^sylk_test_deferred_one_total\{kind="y"\} 1$/m);
  assert.match(text, /^sylk_test_deferred_three_total\{a="in",b="MESSAGE",c="200"\} 2$/m);
  assert.match(text, /^sylk_test_deferred_three_total\{a="in",b="MESSAGE",c="404"\} 1$/m);
  assert.match(text, /^sylk_test_deferred_three_total\{a="out",b="MESSAGE",c="200"\} 1$/m);
  three.inc('in', 'MESSAGE', 404);
  text = await registry.metrics();
  assert.match(text, /^sylk_test_deferred_one_total\{kind="x"\} 2$/m, 'a scrape adds nothing twice');
  assert.match(text, /^sylk_test_deferred_three_total\{a="in",b="MESSAGE",c="404"\} 2$/m);
  assert.throws(() => new DeferredCounter({ name: 'sylk_test_deferred_none_total', help: 'test', labelNames: [] }), /1 to 3 labels/);
});
