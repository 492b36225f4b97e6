/**
 * Two network namespaces joined by a veth pair, standing for two hosts in the multi-host
 * tests; skipped with a message where namespaces cannot be made (no root, no `ip`).
 *
 * @module
 */

import { writeDigits } from "./job_fixtures.ts";

// Test files run side by side in one process: each picks its own names.
const tag = crypto.getRandomValues(new Uint32Array(1))[0] % 100_000;
/** The two hosts: namespace, veth end and address of each. */
export const HOSTS = [
  { ns: `gradmesh-a-${tag}`, veth: `gma${tag}`, address: "10.213.0.1" },
  { ns: `gradmesh-b-${tag}`, veth: `gmb${tag}`, address: "10.213.0.2" },
];
/** The job token of the multi-host tests. */
export const TOKEN = "netns-test-token-0123456789";
/** The coordinator port. */
export const PORT = "29500";

/** Runs `ip args`, throwing its error output on failure. */
async function ip(...args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command("ip", {
    args,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(stderr).trim()}`);
}

async function createHosts(): Promise<void> {
  const [a, b] = HOSTS;
  for (const h of HOSTS) await ip("netns", "add", h.ns);
  await ip(
    "link",
    "add",
    a.veth,
    "netns",
    a.ns,
    "type",
    "veth",
    "peer",
    "name",
    b.veth,
    "netns",
    b.ns,
  );
  for (const h of HOSTS) {
    await ip("-n", h.ns, "addr", "add", `${h.address}/24`, "dev", h.veth);
    await ip("-n", h.ns, "link", "set", h.veth, "up");
    await ip("-n", h.ns, "link", "set", "lo", "up");
  }
}

async function removeHosts(): Promise<void> {
  // Deleting a namespace deletes its end of the veth pair, and with it the other end.
  for (const h of HOSTS) await ip("netns", "del", h.ns).catch(() => {});
}

/**
 * Runs `fn` with the two hosts and a data directory; skips, saying why, when network
 * namespaces cannot be created here (no root, no `ip`).
 */
export async function withHosts(fn: (dir: string, spec: string) => Promise<void>): Promise<void> {
  try {
    await createHosts();
  } catch (e) {
    console.log(`skipped: cannot create network namespaces here (${(e as Error).message})`);
    await removeHosts();
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-netns-" });
  try {
    await fn(dir, await writeDigits(dir, 320, 100));
  } finally {
    await removeHosts();
    await Deno.remove(dir, { recursive: true });
  }
}
