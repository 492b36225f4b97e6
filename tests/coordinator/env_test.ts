import assert from "node:assert/strict";
import { UsageError } from "../../core/errors.ts";
import { parseLaunchEnv, requireToken } from "../../coordinator/job/env.ts";

const parse = (vars: Record<string, string>) => parseLaunchEnv((name) => vars[name]);

Deno.test("launch env: torchrun's variables", () => {
  const env = parse({
    RANK: "3",
    WORLD_SIZE: "8",
    LOCAL_RANK: "1",
    MASTER_ADDR: "node-0.cluster",
    MASTER_PORT: "29600",
    GRADMESH_TOKEN: "abc",
  });
  assert.deepEqual(env, {
    rank: 3,
    worldSize: 8,
    localRank: 1,
    masterAddr: "node-0.cluster",
    masterPort: 29600,
    coordinatorUrl: "http://node-0.cluster:29600",
    token: "abc",
  });
});

Deno.test("launch env: Slurm's variables as fallbacks, torchrun's first; defaults without either", () => {
  const slurm = parse({ SLURM_PROCID: "5", SLURM_NTASKS: "6", SLURM_LOCALID: "1" });
  assert.deepEqual([slurm.rank, slurm.worldSize, slurm.localRank], [5, 6, 1]);
  assert.equal(slurm.coordinatorUrl, "http://127.0.0.1:29500");
  const both = parse({ RANK: "0", SLURM_PROCID: "5", WORLD_SIZE: "2", SLURM_NTASKS: "6" });
  assert.deepEqual([both.rank, both.worldSize], [0, 2]);
  const none = parse({});
  assert.deepEqual([none.rank, none.worldSize, none.localRank, none.token], [
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  assert.equal(parse({ MASTER_ADDR: "fd00::1" }).coordinatorUrl, "http://[fd00::1]:29500");
  assert.equal(parse({ MASTER_ADDR: "[fd00::1]" }).coordinatorUrl, "http://[fd00::1]:29500");
});

const bad: [Record<string, string>, string][] = [
  [{ RANK: "-1" }, 'RANK: expected an integer >= 0, got "-1"'],
  [{ RANK: "one" }, 'RANK: expected an integer >= 0, got "one"'],
  [{ SLURM_PROCID: "1.5" }, 'SLURM_PROCID: expected an integer >= 0, got "1.5"'],
  [{ WORLD_SIZE: "0" }, 'WORLD_SIZE: expected an integer >= 1, got "0"'],
  [{ SLURM_NTASKS: "x" }, 'SLURM_NTASKS: expected an integer >= 1, got "x"'],
  [{ LOCAL_RANK: "1e3" }, 'LOCAL_RANK: expected an integer >= 0, got "1e3"'],
  [{ RANK: "4", WORLD_SIZE: "4" }, "RANK: is 4, but the world has 4 ranks (0..3)"],
  [
    { SLURM_PROCID: "9", SLURM_NTASKS: "2" },
    "SLURM_PROCID: is 9, but the world has 2 ranks (0..1)",
  ],
  [{ MASTER_PORT: "0" }, 'MASTER_PORT: expected an integer in 1..65535, got "0"'],
  [{ MASTER_PORT: "70000" }, 'MASTER_PORT: expected an integer in 1..65535, got "70000"'],
  [
    { MASTER_ADDR: "http://node0" },
    'MASTER_ADDR: expected a host name or IP address, got "http://node0"',
  ],
  [
    { MASTER_ADDR: "node0:29500" },
    'MASTER_ADDR: expected a host name or IP address, got "node0:29500"',
  ],
];
for (const [vars, message] of bad) {
  Deno.test(`launch env: ${JSON.stringify(vars)} → one-line UsageError naming the variable`, () => {
    assert.throws(() => parse(vars), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.equal(e.message, message);
      assert.equal(e.exitCode, 2);
      return true;
    });
  });
}

Deno.test("job token: required, and long enough to be a secret", () => {
  assert.equal(requireToken("0123456789abcdef"), "0123456789abcdef");
  assert.throws(() => requireToken(undefined), /^UsageError: GRADMESH_TOKEN: not set;/);
  assert.throws(() => requireToken("short"), /GRADMESH_TOKEN: expected at least 16 printable/);
  assert.throws(() => requireToken("has spaces in the token"), /GRADMESH_TOKEN: expected/);
});
