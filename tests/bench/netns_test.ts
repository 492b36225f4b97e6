import assert from "node:assert/strict";
import { createNetwork, NAMESPACE_PREFIX, networkUnavailable } from "../../bench/netns.ts";

// The emulated network of the benches: namespaces on a bridge, links shaped with tc tbf.

const unavailable = await networkUnavailable();
if (unavailable) console.log(`skipped: emulated network tests (${unavailable})`);

const pidsIn = async (ns: string) => {
  const args = ["netns", "pids", ns];
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
};

async function waitFor(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 20));
}

const namespaces = async () => {
  const out = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split(" ")[0]);
};

// Rank 1 counts the bytes of one connection and the seconds from accepting it to its end
// (the sender's clock would stop with megabytes still in its socket buffer); rank 0 sends.
const RECEIVER = `
const listener = Deno.listen({ hostname: Deno.args[0], port: 29601 });
console.log("ready");
const conn = await listener.accept();
const t0 = performance.now();
let n = 0;
for await (const chunk of conn.readable) n += chunk.length;
console.log(JSON.stringify({ bytes: n, seconds: (performance.now() - t0) / 1000 }));
`;
const SENDER = `
const conn = await Deno.connect({ hostname: Deno.args[0], port: 29601 });
const block = new Uint8Array(1 << 16);
const writer = conn.writable.getWriter();
for (let i = 0; i < Number(Deno.args[1]); i++) await writer.write(block);
await writer.close();
`;

const BYTES = 80 * (1 << 16); // 5 MiB: 0.42 s at 100 Mbit/s

Deno.test({
  name: "netns: a 100 Mbit/s link carries a transfer no faster than its rate",
  ignore: unavailable !== null,
  async fn() {
    const net = await createNetwork(2, "100mbit");
    try {
      const b = net.hosts[1];
      const deno = (rank: number, code: string, args: string[]) =>
        new Deno.Command("ip", {
          args: net.exec(rank, [Deno.execPath(), "eval", code, ...args]),
          stdout: "piped",
          signal: AbortSignal.timeout(30_000),
        }).spawn();
      const receiver = deno(1, RECEIVER, [b.address]);
      const lines = receiver.stdout.pipeThrough(new TextDecoderStream()).getReader();
      assert.equal((await lines.read()).value?.trim(), "ready");
      const sent = await deno(0, SENDER, [b.address, String(BYTES >> 16)]).output();
      assert.ok(sent.success, "sender failed");
      const { bytes, seconds } = JSON.parse((await lines.read()).value!);
      await receiver.status;
      assert.equal(bytes, BYTES);
      const expected = BYTES * 8 / 100e6;
      assert.ok(
        seconds >= 0.9 * expected,
        `${BYTES} bytes in ${seconds} s, ${expected} s at the rate`,
      );
      assert.ok(
        (await namespaces()).filter((n) => n.startsWith(`${NAMESPACE_PREFIX}${Deno.pid}-`))
          .length === 3,
        "two ranks and a bridge",
      );
    } finally {
      await net.close();
    }
    const left = (await namespaces()).filter((n) =>
      n.startsWith(`${NAMESPACE_PREFIX}${Deno.pid}-`)
    );
    assert.deepEqual(left, []);
  },
});

Deno.test({
  name: "netns: namespaces left by a process that is gone are removed at the next start",
  ignore: unavailable !== null,
  async fn() {
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    const stale = `${NAMESPACE_PREFIX}${gone.pid}-test-r0`;
    await new Deno.Command("ip", { args: ["netns", "add", stale] }).output();
    assert.ok((await namespaces()).includes(stale));
    // A rank of that run still inside it: stopped too, or the namespace would live on.
    const leftover = new Deno.Command("ip", { args: ["netns", "exec", stale, "sleep", "30"] })
      .spawn();
    await waitFor(async () => (await pidsIn(stale)).length > 0);
    const net = await createNetwork(1, "1gbe");
    await net.close();
    assert.ok(!(await namespaces()).includes(stale));
    assert.equal((await leftover.status).signal, "SIGTERM");
  },
});
