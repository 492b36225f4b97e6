import assert from "node:assert/strict";
import { Http1Error } from "../../coordinator/transport/http1_head.ts";
import { Http1Reader, MAX_HEAD_BYTES } from "../../coordinator/transport/http1_reader.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array | null) => b === null ? null : new TextDecoder().decode(b);

/** A connection that yields `pieces` one read at a time, then the end of the stream. */
function pieces(...parts: (string | Uint8Array)[]): Pick<Deno.Conn, "read"> {
  const queue = parts.map((p) => typeof p === "string" ? bytes(p) : p);
  return {
    read(into: Uint8Array) {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(into.length, next.length);
      into.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

Deno.test("Http1Reader finds a head split across reads and keeps what follows", async () => {
  const reader = new Http1Reader(pieces("PUT / HT", "TP/1.1\r\n", "a: b\r", "\n\r", "\nbo", "dy!"));
  assert.equal(text(await reader.readHead()), "PUT / HTTP/1.1\r\na: b\r\n\r\n");
  assert.ok(reader.buffered);
  const body = new Uint8Array(5);
  assert.ok(await reader.readFull(body));
  assert.equal(text(body), "body!");
  assert.equal(await reader.readHead(), null);
});

Deno.test("Http1Reader reads consecutive messages off one stream", async () => {
  const reader = new Http1Reader(pieces("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"));
  assert.equal(text(await reader.readHead()), "GET /1 HTTP/1.1\r\n\r\n");
  assert.equal(text(await reader.readHead()), "GET /2 HTTP/1.1\r\n\r\n");
  assert.equal(await reader.readHead(), null);
});

Deno.test("Http1Reader refuses a head longer than its buffer", async () => {
  const long = `GET / HTTP/1.1\r\nx: ${"a".repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
  const reader = new Http1Reader(pieces(...long.match(/.{1,1000}/gs)!));
  await assert.rejects(reader.readHead(), (e) => e instanceof Http1Error && e.status === 431);
});

Deno.test("Http1Reader tells a cut message from a clean end", async () => {
  await assert.rejects(
    new Http1Reader(pieces("GET / HTTP/1.1\r\n")).readHead(),
    Deno.errors.UnexpectedEof,
  );
  const reader = new Http1Reader(pieces("abc"));
  assert.equal(await reader.readFull(new Uint8Array(4)), false);
  const some = new Http1Reader(pieces("abcdef"));
  assert.equal(text(await some.readSome(4)), "abcd");
  assert.equal(text(await some.readSome(4)), "ef");
  assert.equal(await some.readSome(4), null);
});
