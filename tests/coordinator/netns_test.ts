import assert from "node:assert/strict";
import { MAIN, needsClusterCommands } from "./job_fixtures.ts";
import { HOSTS, PORT, TOKEN, withHosts } from "./netns_fixtures.ts";

// Two network namespaces joined by a veth pair stand for two hosts: the coordinator and
// rank 0 on one, rank 1 on the other, each binding only its own address.

/** Runs `cli/main.ts args` inside namespace `ns`, killed after 60 s at the latest. */
function runIn(ns: string, args: string[], env: Record<string, string>) {
  return new Deno.Command("ip", {
    args: ["netns", "exec", ns, Deno.execPath(), "run", "-A", MAIN, ...args],
    env: { GRADMESH_TOKEN: TOKEN, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output().then((o) => ({
    code: o.code,
    stdout: new TextDecoder().decode(o.stdout),
    stderr: new TextDecoder().decode(o.stderr),
  }));
}

const [A, B] = HOSTS;
const TRAIN = ["--model=784-16-10", "--epochs=1", "--batch-size=32"];

Deno.test({
  name:
    "netns: a coordinator and a worker on one host, a worker on another, train over a veth pair",
  ...await needsClusterCommands(),
  fn: () =>
    withHosts(async (dir, spec) => {
      const coordinator = runIn(A.ns, [
        "coordinator",
        "--world=2",
        `--host=${A.address}`,
        `--port=${PORT}`,
        `--data=${spec}`,
        ...TRAIN,
        `--out=${dir}/run`,
      ], {});
      const worker = (h: typeof A, rank: number) =>
        runIn(h.ns, ["worker", `--host=${h.address}`, "--backend=cpu"], {
          RANK: String(rank),
          WORLD_SIZE: "2",
          MASTER_ADDR: A.address,
          MASTER_PORT: PORT,
        });
      const [c, w0, w1] = await Promise.all([coordinator, worker(A, 0), worker(B, 1)]);
      for (const [name, r] of Object.entries({ coordinator: c, "rank 0": w0, "rank 1": w1 })) {
        assert.equal(r.code, 0, `${name} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      }
      assert.match(c.stdout, new RegExp(`^coordinator http://${A.address}:${PORT}: run `, "m"));
      assert.match(c.stdout, /^rank 1 joined from 10\.213\.0\.2 \(wasm /m);
      assert.match(c.stdout, /^job done: final test accuracy [\d.]+% \(loss [\d.]+\)$/m);
      assert.match(w0.stdout, /^rank 0\/2 on 10\.213\.0\.1: backend cpu/m);
      assert.match(w0.stdout, /^final test accuracy /m);
      assert.match(w1.stdout, /^rank 1\/2 on 10\.213\.0\.2: backend cpu/m);
      await Deno.stat(`${dir}/run/checkpoint.safetensors`);
    }),
});

Deno.test({
  name: "netns: launch/ssh.sh starts the coordinator on the first host and a worker per line",
  ...await needsClusterCommands(),
  fn: () =>
    withHosts(async (dir, spec) => {
      // "ssh HOST COMMAND" runs COMMAND in the namespace that stands for HOST.
      const ssh = `${dir}/ssh`;
      await Deno.writeTextFile(
        ssh,
        [
          "#!/bin/bash",
          `case $1 in ${A.address}) ns=${A.ns} ;; ${B.address}) ns=${B.ns} ;; *) exit 255 ;; esac`,
          'exec ip netns exec "$ns" bash -c "$2"',
        ].join("\n"),
        { mode: 0o755 },
      );
      const hostfile = `${dir}/hosts`;
      await Deno.writeTextFile(hostfile, `# two hosts\n${A.address}\n\n${B.address} EXTRA=1\n`);
      const script = new URL("../../launch/ssh.sh", import.meta.url).pathname;
      const out = await new Deno.Command(script, {
        args: [hostfile, `--data=${spec}`, ...TRAIN, `--out=${dir}/ssh-run`],
        env: {
          SSH: ssh,
          DENO: Deno.execPath(),
          BACKEND: "cpu",
          GRADMESH_TOKEN: TOKEN,
          NO_COLOR: "1",
        },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, `${stdout}\n${new TextDecoder().decode(out.stderr)}`);
      assert.match(stdout, /^job done: final test accuracy /m);
      assert.match(stdout, /^\[rank 0\] rank 0\/2 on 10\.213\.0\.1: backend cpu/m);
      assert.match(stdout, /^\[rank 1\] rank 1\/2 on 10\.213\.0\.2: backend cpu/m);
      assert.match(stdout, /^\[rank 0\] checkpoint: /m);
      await Deno.stat(`${dir}/ssh-run/checkpoint.safetensors`);
    }),
});
