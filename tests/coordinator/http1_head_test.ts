import assert from "node:assert/strict";
import {
  Http1Error,
  parseRequestHead,
  parseResponseHead,
  responseHead,
} from "../../coordinator/transport/http1_head.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("parseRequestHead reads the request line, fields and framing", () => {
  const head = parseRequestHead(
    bytes("PUT /v1/ring/1/2/3?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length:  8 \r\nX-A: 1\r\n\r\n"),
  );
  assert.equal(head.method, "PUT");
  assert.equal(head.target, "/v1/ring/1/2/3?x=1");
  assert.equal(head.headers.get("content-length"), "8");
  assert.equal(head.bodyBytes, 8);
  assert.equal(head.keepAlive, true);
  assert.equal(parseRequestHead(bytes("GET / HTTP/1.1\r\n\r\n")).bodyBytes, 0);
  const closing = parseRequestHead(bytes("GET / HTTP/1.1\r\nconnection: close\r\n\r\n"));
  assert.equal(closing.keepAlive, false);
  assert.equal(parseRequestHead(bytes("GET / HTTP/1.0\r\n\r\n")).keepAlive, false);
  const kept = parseRequestHead(bytes("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"));
  assert.equal(kept.keepAlive, true);
});

Deno.test("parseRequestHead refuses what it cannot frame or read", () => {
  const cases: [string, number][] = [
    ["PUT / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", 501],
    ["PUT / HTTP/1.1\r\ncontent-length: 8\r\ncontent-length: 9\r\n\r\n", 400],
    ["PUT / HTTP/1.1\r\ncontent-length: -1\r\n\r\n", 400],
    ["PUT / HTTP/1.1\r\ncontent-length: 1e3\r\n\r\n", 400],
    ["PUT / HTTP/2\r\n\r\n", 400],
    ["PUT http://a/ HTTP/1.1\r\n\r\n", 400],
    ["PUT  / HTTP/1.1\r\n\r\n", 400],
    ["PUT / HTTP/1.1\r\nno colon\r\n\r\n", 400],
    ["PUT / HTTP/1.1\r\nbad name: x\r\n\r\n", 400],
  ];
  for (const [head, status] of cases) {
    assert.throws(
      () => parseRequestHead(bytes(head)),
      (e) => e instanceof Http1Error && e.status === status,
      head,
    );
  }
});

Deno.test("parseResponseHead reads status, framing and keep-alive", () => {
  const noContent = parseResponseHead(bytes("HTTP/1.1 204 No Content\r\n\r\n"));
  assert.deepEqual([noContent.status, noContent.bodyBytes, noContent.keepAlive], [204, 0, true]);
  const refused = parseResponseHead(
    bytes("HTTP/1.1 413 \r\ncontent-length: 12\r\nconnection: close\r\n\r\n"),
  );
  assert.deepEqual([refused.status, refused.bodyBytes, refused.keepAlive], [413, 12, false]);
  assert.throws(() => parseResponseHead(bytes("HTTP/1.1 200 OK\r\n\r\n")), Http1Error);
  assert.throws(() => parseResponseHead(bytes("HTTP/1.1 20 OK\r\n\r\n")), Http1Error);
});

Deno.test("responseHead writes the framing itself", () => {
  const headers = new Headers({ "content-type": "text/plain", "content-length": "99" });
  assert.equal(
    text(responseHead(401, headers, 5, false)),
    "HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n" +
      "connection: close\r\n\r\n",
  );
  assert.equal(text(responseHead(204, new Headers(), 0, true)), "HTTP/1.1 204 No Content\r\n\r\n");
});
