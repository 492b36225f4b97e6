/**
 * launch/k8s: the manifests agree with each other, and the Job's pod script, run as pods
 * 0 and 1 would run it (JOB_COMPLETION_INDEX, POD_IP, the Service's DNS names), trains
 * across two network namespaces. No cluster is needed: the namespaces stand for pods and
 * `/etc/netns/<ns>/hosts` for the headless Service's DNS.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { newestCheckpoint } from "../../core/checkpoint/series.ts";
import { needsClusterCommands, waitFor } from "./job_fixtures.ts";
import { HOSTS, TOKEN, withHosts } from "./netns_fixtures.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (name: string) => parse(Deno.readTextFileSync(`${ROOT}launch/k8s/${name}`));
const job = read("job.yaml");
const service = read("service.yaml");
const claim = read("volume.yaml");
const pod = job.spec.template.spec;
const container = pod.containers[0];
const env: Record<string, string> = Object.fromEntries(
  container.env.filter((e: { value?: string }) => e.value !== undefined)
    .map((e: { name: string; value: string }) => [e.name, e.value]),
);

Deno.test("k8s: the Job and the headless Service agree on names, sizes and ports", () => {
  assert.equal(job.kind, "Job");
  assert.equal(job.spec.completionMode, "Indexed");
  assert.equal(job.spec.completions, job.spec.parallelism);
  assert.equal(Number(env.WORLD_SIZE), job.spec.completions);
  assert.equal(service.kind, "Service");
  assert.equal(service.spec.clusterIP, "None");
  assert.equal(pod.subdomain, service.metadata.name);
  // Kubernetes labels a Job's pods with job-name; index 0 runs the coordinator.
  assert.equal(service.spec.selector["job-name"], job.metadata.name);
  assert.equal(env.MASTER_ADDR, `${job.metadata.name}-0.${service.metadata.name}`);
  assert.equal(String(service.spec.ports[0].port), env.MASTER_PORT);
  const ports = container.ports.map((p: { containerPort: number }) => String(p.containerPort));
  assert.ok(ports.includes(env.MASTER_PORT), `container ports ${ports}`);
  const ringPort = /worker .*--port (\d+)/s.exec(container.args[0])?.[1];
  assert.ok(
    ringPort && ports.includes(ringPort),
    `ring port ${ringPort}, container ports ${ports}`,
  );
  const secret = container.env.find((e: { name: string }) => e.name === "GRADMESH_TOKEN");
  assert.ok(secret?.valueFrom?.secretKeyRef, "GRADMESH_TOKEN comes from a Secret");
});

/** The Job's container command as pod `index` in `host`'s namespace. */
function podCommand(index: number, host: typeof HOSTS[number], trainFlags: string) {
  return new Deno.Command("ip", {
    args: ["netns", "exec", host.ns, ...container.command, ...container.args],
    cwd: ROOT, // the image's workingDir holds the checkout
    clearEnv: true,
    env: {
      ...env,
      PATH: `${dirname(Deno.execPath())}:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: Deno.env.get("HOME") ?? "/root",
      WORLD_SIZE: String(HOSTS.length),
      BACKEND: "cpu",
      TRAIN_FLAGS: trainFlags,
      JOB_COMPLETION_INDEX: String(index),
      POD_IP: host.address,
      GRADMESH_TOKEN: TOKEN,
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(90_000),
  });
}

/** Exit code and output of a pod. */
async function podOutcome(pod: Deno.ChildProcess) {
  const o = await pod.output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr),
  };
}

/** Runs the Job's container command as pod `index` in `host`'s namespace. */
function runPod(index: number, host: typeof HOSTS[number], trainFlags: string) {
  return podOutcome(podCommand(index, host, trainFlags).spawn());
}

/** Writes the headless Service's DNS names into each namespace's hosts file, runs `fn`. */
async function withServiceDns(fn: () => Promise<void>): Promise<void> {
  // The headless Service's DNS: gradmesh-<index>.gradmesh → that pod's address.
  const names = HOSTS.map((h, i) => `${h.address} ${job.metadata.name}-${i}.${pod.subdomain}`);
  for (const h of HOSTS) {
    await Deno.mkdir(`/etc/netns/${h.ns}`, { recursive: true });
    await Deno.writeTextFile(
      `/etc/netns/${h.ns}/hosts`,
      ["127.0.0.1 localhost", ...names].join("\n") + "\n",
    );
  }
  try {
    await fn();
  } finally {
    for (const h of HOSTS) await Deno.remove(`/etc/netns/${h.ns}`, { recursive: true });
  }
}

Deno.test({
  name: "k8s: the Job's pod script trains as pods 0 and 1 in two network namespaces",
  ...await needsClusterCommands(),
  fn: () =>
    withHosts((dir, spec) =>
      withServiceDns(async () => {
        const flags =
          `--data=${spec} --model=784-16-10 --epochs=1 --batch-size=32 --out=${dir}/k8s`;
        const pods = await Promise.all(HOSTS.map((h, i) => runPod(i, h, flags)));
        pods.forEach((p, i) => assert.equal(p.code, 0, `pod ${i} exited ${p.code}:\n${p.out}`));
        assert.match(pods[0].out, /^rank 1 joined from 10\.213\.0\.2 /m);
        assert.match(pods[0].out, /^job done: final test accuracy [\d.]+% /m);
        assert.match(pods[1].out, /^rank 1\/2 on 10\.213\.0\.2: backend cpu/m);
        await Deno.stat(`${dir}/k8s/checkpoint.safetensors`);
      })
    ),
});

Deno.test("k8s: failed containers restart in place, checkpoints live on a volume, the coordinator resumes", () => {
  assert.equal(pod.restartPolicy, "OnFailure");
  const restartFlags = env.RESTART_FLAGS;
  const maxRestarts = Number(/--max-restarts (\d+)/.exec(restartFlags)?.[1]);
  assert.ok(maxRestarts >= 1, restartFlags);
  assert.ok(job.spec.backoffLimit >= maxRestarts, `backoffLimit ${job.spec.backoffLimit}`);
  assert.ok(pod.terminationGracePeriodSeconds >= 30);
  const out = /--out (\S+)/.exec(env.TRAIN_FLAGS)?.[1] ?? "";
  const mount = container.volumeMounts.find((m: { mountPath: string }) =>
    out.startsWith(`${m.mountPath}/`)
  );
  assert.ok(mount, `--out ${out} is on no volume`);
  const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
  assert.equal(volume.persistentVolumeClaim.claimName, claim.metadata.name);
  assert.ok(claim.spec.accessModes.includes("ReadWriteMany"));
  assert.match(container.args[0], /coordinator .*--resume auto/s);
  assert.match(
    container.args[0],
    /^\s*trap 'kill -TERM \$worker \$coordinator 2>\/dev\/null' TERM/m,
  );
});

Deno.test({
  name:
    "k8s: SIGTERM to both pods checkpoints every rank at one step, exit 0; restarted, they continue to the end",
  ...await needsClusterCommands(),
  fn: () =>
    withHosts((dir, spec) =>
      withServiceDns(async () => {
        const flags = (epochs: number) =>
          `--data=${spec} --model=784-16-10 --epochs=${epochs} --batch-size=32 --log-every=4 ` +
          `--out=${dir}/k8s`;
        const pods = HOSTS.map((h, i) => podCommand(i, h, flags(1000)).spawn());
        await waitFor("a first checkpoint", async () => {
          return (await newestCheckpoint(`${dir}/k8s`)) !== null;
        }, 60_000);
        // Kubernetes terminates every pod of a deleted or preempted Job alike.
        for (const p of pods) p.kill("SIGTERM");
        const stopped = await Promise.all(pods.map(podOutcome));
        stopped.forEach((p, i) => assert.equal(p.code, 0, `pod ${i} exited ${p.code}:\n${p.out}`));
        const step = Number(/^job stopped on request after step (\d+);/m.exec(stopped[0].out)?.[1]);
        assert.equal((await newestCheckpoint(`${dir}/k8s`))?.step, step, stopped[0].out);

        const steps = 10; // withHosts writes 320 training digits
        const epochs = Math.floor(step / steps) + 2;
        const again = await Promise.all(HOSTS.map((h, i) => runPod(i, h, flags(epochs))));
        again.forEach((p, i) => assert.equal(p.code, 0, `pod ${i} exited ${p.code}:\n${p.out}`));
        assert.match(again[0].out, /^resume auto: continuing from .*step-\d{8}\.safetensors$/m);
        assert.match(again[0].out, /^job done: final test accuracy /m);
        assert.equal((await newestCheckpoint(`${dir}/k8s`))?.step, epochs * steps);
      })
    ),
});
