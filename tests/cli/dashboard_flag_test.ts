import assert from "node:assert/strict";
import { UsageError } from "../../core/errors.ts";
import { dashboardAddress } from "../../cli/dashboard.ts";
import { runCli } from "./run_cli.ts";

Deno.test("--dashboard: HOST:PORT, [IPv6]:PORT, off, and auto (on only when interactive)", () => {
  assert.deepEqual(dashboardAddress("127.0.0.1:0", false), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(dashboardAddress("0.0.0.0:8080", false), { hostname: "0.0.0.0", port: 8080 });
  assert.deepEqual(dashboardAddress("[::1]:9000", false), { hostname: "::1", port: 9000 });
  assert.deepEqual(dashboardAddress("node-3:80", false), { hostname: "node-3", port: 80 });
  assert.equal(dashboardAddress("off", true), null);
  assert.equal(dashboardAddress("auto", false), null);
  assert.deepEqual(dashboardAddress("auto", true), { hostname: "127.0.0.1", port: 0 });
  for (const bad of ["8080", "host:", ":80", "host:65536", "host:http", "::1:80", "on"]) {
    assert.throws(() => dashboardAddress(bad, false), (e: Error) => {
      assert.ok(e instanceof UsageError, bad);
      assert.match(e.message, /^--dashboard: expected HOST:PORT \(port 0 to 65535\), off or auto/);
      return true;
    });
  }
});

Deno.test("train --dashboard with a bad address: one line naming the flag, exit 2, nothing trained", async () => {
  const { code, stdout, stderr } = await runCli(["train", "--dashboard", "localhost"]);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.match(stderr, /--dashboard: expected HOST:PORT/);
});
