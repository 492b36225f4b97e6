import assert from "node:assert/strict";
import { Mailbox } from "../../coordinator/transport/mailbox.ts";

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

Deno.test("Mailbox.takeInto copies a chunk that came first, or one delivered later", async () => {
  const box = new Mailbox();
  const memory = new Float32Array(6);
  box.deliver(0, key, Float32Array.of(1, 2));
  await box.takeInto(0, key, memory.subarray(0, 2));
  const later = { ...key, chunk: 4 };
  const taken = box.takeInto(0, later, memory.subarray(4, 6));
  assert.ok(box.deliver(0, later, Float32Array.of(5, 6)));
  await taken;
  assert.deepEqual(memory, Float32Array.of(1, 2, 0, 0, 5, 6));
  assert.equal(box.pending, 0);
});

Deno.test("Mailbox.claim hands a transport the taker's memory to read into", async () => {
  const box = new Mailbox();
  const memory = new Float32Array(4);
  const taken = box.takeInto(0, key, memory.subarray(1, 3));
  assert.equal(box.claim(0, key, 3, () => {}), undefined, "wrong length");
  const claimed = box.claim(0, key, 2, () => {})!;
  assert.equal(claimed.buffer, memory.buffer);
  assert.equal(box.claim(0, key, 2, () => {}), undefined, "claimed once only");
  // A second copy while the first is read into place is refused.
  assert.equal(box.deliver(0, key, Float32Array.of(9, 9)), false);
  claimed.set([7, 8]);
  assert.ok(box.deliver(0, key, claimed));
  await taken;
  assert.deepEqual(memory, Float32Array.of(0, 7, 8, 0));
});

Deno.test("Mailbox.unclaim lets the taker wait on for another copy", async () => {
  const box = new Mailbox();
  const memory = new Float32Array(2);
  const taken = box.takeInto(0, key, memory);
  box.claim(0, key, 2, () => {});
  box.unclaim(0, key);
  assert.ok(box.deliver(0, key, Float32Array.of(3, 4)));
  await taken;
  assert.deepEqual(memory, Float32Array.of(3, 4));
});

Deno.test("Mailbox.takeInto stops a read under way when its signal aborts", async () => {
  const box = new Mailbox();
  const abort = new AbortController();
  const taken = box.takeInto(0, key, new Float32Array(2), abort.signal);
  let cancelled = 0;
  box.claim(0, key, 2, () => cancelled++);
  abort.abort(new Error("gave up"));
  await assert.rejects(taken, /gave up/);
  assert.equal(cancelled, 1);
  // Nothing waits any more: a late copy is kept for a later taker.
  assert.ok(box.deliver(0, key, Float32Array.of(1, 2)));
  assert.equal(box.pending, 1);
});

Deno.test("Mailbox.takeInto rejects a chunk of the wrong length", async () => {
  const box = new Mailbox();
  const waiting = box.takeInto(0, key, new Float32Array(2));
  box.deliver(0, key, Float32Array.of(1, 2, 3));
  await assert.rejects(waiting, RangeError);
  box.deliver(0, key, Float32Array.of(1));
  await assert.rejects(box.takeInto(0, key, new Float32Array(2)), RangeError);
  await assert.rejects(
    Promise.all([box.take(1, key), box.takeInto(1, key, new Float32Array(1))]),
    /already being waited for/,
  );
});
