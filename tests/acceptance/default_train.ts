/**
 * `deno task accept`: the full default `deno task train` run, as a user starts it, checked
 * against its acceptance bounds: at least 95.5% test accuracy on the 2,000 held-out
 * digits, in at most 10 minutes. Prints the accuracy and time; exits 1 when a bound fails.
 *
 * @module
 */

const MIN_ACCURACY = 95.5;
const MAX_SECONDS = 600;

const main = new URL("../../cli/main.ts", import.meta.url).pathname;
const out = await Deno.makeTempDir({ prefix: "gradmesh-accept-" });
const start = performance.now();
const run = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", main, "train", "--dashboard", "off", "--out", out],
  stdout: "piped",
  stderr: "inherit",
}).output();
const seconds = (performance.now() - start) / 1000;
const text = new TextDecoder().decode(run.stdout);
console.log(text.trimEnd());
const accuracy = Number(text.match(/final test accuracy ([\d.]+)%/)?.[1] ?? NaN);
const ok = run.success && accuracy >= MIN_ACCURACY && seconds <= MAX_SECONDS;
console.log(
  `acceptance: test accuracy ${accuracy}% (needs >= ${MIN_ACCURACY}%), ` +
    `${seconds.toFixed(1)} s (needs <= ${MAX_SECONDS} s): ${ok ? "PASS" : "FAIL"}`,
);
Deno.exit(ok ? 0 : 1);
