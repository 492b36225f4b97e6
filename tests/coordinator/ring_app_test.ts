import assert from "node:assert/strict";
import { Mailbox } from "../../coordinator/transport/mailbox.ts";
import { checkChunkRequest, ringApp, SENDER_HEADER } from "../../coordinator/transport/ring_app.ts";

const token = "secret-token";

/** Rank 0's endpoint: it expects chunks of 2 floats, numbered 0–3, from rank 1 only. */
function setup() {
  const mailbox = new Mailbox();
  const app = ringApp(mailbox, {
    token,
    chunkLengthFor: (key, from) => (from === 1 && key.chunk < 4 ? 2 : undefined),
  });
  /** PUTs `body` to `path` as rank 1 with the right token unless `headers` say otherwise. */
  const put = async (
    path: string,
    body: Uint8Array<ArrayBuffer> | null,
    headers: Record<string, string | undefined> = {},
  ) => {
    const all = { authorization: `Bearer ${token}`, [SENDER_HEADER]: "1", ...headers };
    const res = await app.request(path, {
      method: "PUT",
      body,
      headers: Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined),
    });
    await res.body?.cancel();
    return res;
  };
  return { app, mailbox, put };
}

const floats = (...xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

Deno.test("ring route delivers a well-formed chunk", async () => {
  const { put, mailbox } = setup();
  assert.equal((await put("/v1/ring/1/3/2", floats(1.5, -2))).status, 204);
  const data = await mailbox.take(1, { step: 1, bucket: 3, chunk: 2 });
  assert.deepEqual(data, Float32Array.of(1.5, -2));
});

Deno.test("ring route answers 401 to a missing or wrong token and keeps nothing", async () => {
  const { put, mailbox } = setup();
  const wrong = [undefined, "", `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token];
  for (const authorization of [...wrong, `Basic ${token}`]) {
    const res = await put("/v1/ring/0/0/0", floats(1, 2), { authorization });
    assert.equal(res.status, 401, String(authorization));
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
  }
  // Malformed requests are refused before anything in them is looked at.
  const res = await put("/v1/ring/x/0/0", null, { authorization: undefined, [SENDER_HEADER]: "z" });
  assert.equal(res.status, 401);
  assert.equal(mailbox.pending, 0);
});

Deno.test("ring route answers 400 to malformed keys and senders", async () => {
  const { put, mailbox } = setup();
  const paths = ["/v1/ring/x/0/0", "/v1/ring/0/-1/0", "/v1/ring/0/0/1.5", "/v1/ring/01/0/0"];
  for (const path of [...paths, "/v1/ring/99999999999999999/0/0"]) {
    assert.equal((await put(path, floats(1, 2))).status, 400, path);
  }
  for (const sender of [undefined, "", "one", "-1"]) {
    const res = await put("/v1/ring/0/0/0", floats(1, 2), { [SENDER_HEADER]: sender });
    assert.equal(res.status, 400, String(sender));
  }
  assert.equal((await put("/v1/ring/0/0/4", floats(1, 2))).status, 400, "unexpected chunk");
  const stranger = await put("/v1/ring/0/0/0", floats(1, 2), { [SENDER_HEADER]: "2" });
  assert.equal(stranger.status, 400, "unexpected sender");
  assert.equal(mailbox.pending, 0);
});

Deno.test("ring route checks the body against the chunk length", async () => {
  const { put, mailbox } = setup();
  assert.equal((await put("/v1/ring/0/0/0", floats(1, 2, 3))).status, 413);
  assert.equal((await put("/v1/ring/0/0/0", new Uint8Array(9))).status, 413);
  assert.equal((await put("/v1/ring/0/0/0", floats(1))).status, 400);
  assert.equal((await put("/v1/ring/0/0/0", new Uint8Array(6))).status, 400);
  assert.equal((await put("/v1/ring/0/0/0", null)).status, 400);
  // A declared length is judged before the body is read; a lying one is caught after.
  const declared = (length: string, body = floats(1, 2)) =>
    put("/v1/ring/0/0/0", body, { "content-length": length });
  assert.equal((await declared("4096")).status, 413);
  assert.equal((await declared("4")).status, 400);
  assert.equal((await declared("eight")).status, 400);
  assert.equal((await declared("8", floats(1, 2, 3))).status, 413);
  assert.equal(mailbox.pending, 0);
});

Deno.test("ring route refuses a second copy of a chunk", async () => {
  const { put, mailbox } = setup();
  assert.equal((await put("/v1/ring/0/0/1", floats(1, 2))).status, 204);
  assert.equal((await put("/v1/ring/0/0/1", floats(3, 4))).status, 409);
  const data = await mailbox.take(1, { step: 0, bucket: 0, chunk: 1 });
  assert.deepEqual(data, Float32Array.of(1, 2));
});

Deno.test("ring app guards every path and serves only PUT", async () => {
  const { app } = setup();
  assert.equal((await app.request("/health")).status, 401);
  const get = await app.request("/v1/ring/0/0/0", {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(get.status, 404);
  await get.body?.cancel();
});

/** A mailbox whose rank has asked for a chunk of `step`, and stopped waiting for it. */
function mailboxAt(step: number): Mailbox {
  const mailbox = new Mailbox();
  const stop = new AbortController();
  mailbox.take(0, { step, bucket: 99, chunk: 0 }, stop.signal).catch(() => {});
  stop.abort();
  return mailbox;
}

Deno.test("checkChunkRequest accepts what the route would and says what it expects", () => {
  const options = { token, chunkLengthFor: () => 3 };
  const mailbox = mailboxAt(4);
  const headers = new Headers({ authorization: `Bearer ${token}`, [SENDER_HEADER]: "2" });
  assert.deepEqual(checkChunkRequest("PUT", "/v1/ring/4/5/6", headers, options, mailbox), {
    ok: true,
    key: { step: 4, bucket: 5, chunk: 6 },
    from: 2,
    bytes: 12,
  });
  headers.set("content-length", "12");
  assert.ok(checkChunkRequest("PUT", "/v1/ring/4/5/6", headers, options, mailbox).ok);
  const refusal = (method: string, path: string, h = headers) => {
    const check = checkChunkRequest(method, path, h, options, mailbox);
    return check.ok ? "accepted" : check.status;
  };
  assert.equal(refusal("GET", "/v1/ring/4/5/6"), 404);
  assert.equal(refusal("PUT", "/v1/ring/4/5/6/"), 404);
  assert.equal(refusal("PUT", "/health"), 404);
  assert.equal(refusal("PUT", "/v1/ring/4/5/6", new Headers({ [SENDER_HEADER]: "2" })), 401);
  // The token is judged first: a caller without it learns nothing about the route.
  assert.equal(refusal("GET", "/health", new Headers()), 401);
});

Deno.test("ring route takes chunks only for its rank's step and the next; no others are kept", async () => {
  const mailbox = mailboxAt(10);
  const app = ringApp(mailbox, { token, chunkLengthFor: () => 2 });
  const put = (step: number, chunk = 0) =>
    app.request(`/v1/ring/${step}/0/${chunk}`, {
      method: "PUT",
      body: floats(1, 2),
      headers: { authorization: `Bearer ${token}`, [SENDER_HEADER]: "1" },
    });
  const answers = [];
  for (const step of [9, 10, 11, 12, 1_000_000]) {
    const res = await put(step);
    answers.push([step, res.status, await res.text()]);
  }
  assert.deepEqual(answers, [
    [9, 409, "step 9 is over: this rank is at step 10"],
    [10, 204, ""],
    [11, 204, ""],
    [12, 503, "step 12 is more than 1 ahead of this rank's step 10"],
    [1_000_000, 503, "step 1000000 is more than 1 ahead of this rank's step 10"],
  ]);
  assert.equal(mailbox.pending, 2);
  // A chunk the rank waits for is taken whatever its step: a rank may move back a step.
  const waited = mailbox.take(1, { step: 3, bucket: 0, chunk: 1 });
  assert.equal((await put(3, 1)).status, 204);
  assert.deepEqual(await waited, Float32Array.of(1, 2));
  assert.equal(mailbox.step, 3);
  assert.equal((await put(4)).status, 204);
  assert.equal((await put(5)).status, 503);
});

Deno.test("ring route answers 503 while the rank does not know its chunks yet, and keeps nothing", async () => {
  const mailbox = new Mailbox();
  const app = ringApp(mailbox, { token, chunkLengthFor: () => null });
  const res = await app.request("/v1/ring/0/0/0", {
    method: "PUT",
    body: floats(1, 2),
    headers: { authorization: `Bearer ${token}`, [SENDER_HEADER]: "1" },
  });
  assert.equal(res.status, 503);
  assert.match(await res.text(), /^not ready/);
  assert.equal(mailbox.pending, 0);
});
