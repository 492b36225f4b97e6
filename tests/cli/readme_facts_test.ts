/**
 * What README.md and docs/*.md state that can go stale without an example failing: relative
 * links (files and `#heading` anchors), the tasks of deno.json, and the catalogue's counts.
 */

import assert from "node:assert/strict";
import { catalog } from "../../cli/catalog.ts";
import { root } from "./readme_blocks.ts";

const readme = await Deno.readTextFile(`${root}README.md`);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").trim().replace(/\s/g, "-");
}

async function anchors(path: string): Promise<string[]> {
  const text = (await Deno.readTextFile(path)).replace(/^```[\s\S]*?^```$/gm, "");
  return [...text.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]));
}

/** The broken relative links of the markdown file `path`, as "file: link". */
async function brokenLinks(path: string): Promise<string[]> {
  const text = (await Deno.readTextFile(path)).replace(/^```[\s\S]*?^```$/gm, "");
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const broken: string[] = [];
  for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(link)) continue;
    const [file, fragment] = link.split("#");
    const target = file === "" ? path : `${dir}${file}`;
    try {
      await Deno.stat(target);
    } catch {
      broken.push(`${path.slice(root.length)}: ${link} (no such file)`);
      continue;
    }
    if (fragment && target.endsWith(".md") && !(await anchors(target)).includes(fragment)) {
      broken.push(`${path.slice(root.length)}: ${link} (no such heading)`);
    }
  }
  return broken;
}

Deno.test("the relative links of README.md and docs/*.md resolve", async () => {
  const files = [`${root}README.md`];
  for await (const entry of Deno.readDir(`${root}docs`)) {
    if (entry.name.endsWith(".md")) files.push(`${root}docs/${entry.name}`);
  }
  const broken = (await Promise.all(files.map(brokenLinks))).flat();
  assert.deepEqual(broken, []);
});

Deno.test("README.md names every task of deno.json, and only those", async () => {
  const tasks = Object.keys(JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks);
  const named = new Set([...readme.matchAll(/deno task ([\w:]+)/g)].map((m) => m[1]));
  assert.deepEqual([...named].filter((t) => !tasks.includes(t)), [], "not in deno.json");
  const table = new Set([...readme.matchAll(/^\| `deno task ([\w:]+)`/gm)].map((m) => m[1]));
  assert.deepEqual(tasks.filter((t) => !table.has(t)), [], "not in the Tasks table");
});

Deno.test("README.md's catalogue counts are the catalog's", () => {
  const sections = catalog();
  const stated = (pattern: RegExp) => Number(readme.match(pattern)?.[1]);
  assert.equal(stated(/Every activation \((\d+)/), sections.activations.length);
  assert.equal(stated(/loss \((\d+), including/), sections.losses.length);
  assert.equal(stated(/scheduler \((\d+)\)/), sections.schedulers.length);
});
