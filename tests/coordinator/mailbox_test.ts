import assert from "node:assert/strict";
import { Mailbox } from "../../coordinator/mailbox.ts";

const key = { step: 1, bucket: 2, chunk: 3 };

Deno.test("Mailbox keeps a chunk that arrives before it is asked for", async () => {
  const box = new Mailbox();
  assert.ok(box.deliver(0, key, Float32Array.of(1)));
  assert.equal(box.pending, 1);
  assert.deepEqual(await box.take(0, key), Float32Array.of(1));
  assert.equal(box.pending, 0);
});

Deno.test("Mailbox hands a chunk to a waiting taker", async () => {
  const box = new Mailbox();
  const taken = box.take(0, key);
  box.deliver(0, key, Float32Array.of(2));
  assert.deepEqual(await taken, Float32Array.of(2));
  assert.equal(box.pending, 0);
});

Deno.test("Mailbox tells senders and keys apart", async () => {
  const box = new Mailbox();
  box.deliver(1, key, Float32Array.of(1));
  box.deliver(0, { ...key, chunk: 4 }, Float32Array.of(4));
  box.deliver(0, key, Float32Array.of(0));
  assert.deepEqual(await box.take(0, key), Float32Array.of(0));
  assert.deepEqual(await box.take(1, key), Float32Array.of(1));
  assert.equal(box.pending, 1);
});

Deno.test("Mailbox refuses a second delivery of the same chunk", () => {
  const box = new Mailbox();
  assert.ok(box.deliver(0, key, Float32Array.of(1)));
  assert.equal(box.deliver(0, key, Float32Array.of(9)), false);
  assert.equal(box.pending, 1);
});

Deno.test("Mailbox stops waiting when the signal aborts", async () => {
  const box = new Mailbox();
  const abort = new AbortController();
  const taken = box.take(0, key, abort.signal);
  abort.abort(new Error("gave up"));
  await assert.rejects(taken, /gave up/);
  // The abandoned wait must not swallow a later delivery.
  box.deliver(0, key, Float32Array.of(5));
  assert.equal(box.pending, 1);
  await assert.rejects(box.take(0, { ...key, chunk: 9 }, abort.signal), /gave up/);
});

Deno.test("Mailbox discards the chunks of an abandoned step and only those", async () => {
  const box = new Mailbox();
  box.deliver(0, { step: 1, bucket: 0, chunk: 0 }, Float32Array.of(1));
  box.deliver(1, { step: 1, bucket: 2, chunk: 5 }, Float32Array.of(2));
  box.deliver(0, { step: 11, bucket: 0, chunk: 0 }, Float32Array.of(11));
  box.deliver(0, { step: 2, bucket: 1, chunk: 0 }, Float32Array.of(3));
  assert.equal(box.discard(1), 2);
  assert.equal(box.pending, 2);
  assert.equal(box.discard(1), 0);
  assert.deepEqual(await box.take(0, { step: 11, bucket: 0, chunk: 0 }), Float32Array.of(11));
  // A discarded slot takes a new delivery.
  assert.ok(box.deliver(0, { step: 1, bucket: 0, chunk: 0 }, Float32Array.of(4)));
});
