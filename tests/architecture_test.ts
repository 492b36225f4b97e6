/**
 * The import rules of DESIGN.md, read from the source: `core/` imports only `core/`;
 * `gpu/` imports only `core/` and `gpu/`; `cpu/` (the fast CPU backend) imports only `core/` and
 * `cpu/`; `backends/` (choosing one) imports only `core/`, `cpu/`, `gpu/` and `backends/`;
 * `coordinator/` never imports a backend (`gpu/`, `cpu/`, `backends/`) or `cli/`, and its
 * `transport/` (links, HTTP, the ring) never imports its `job/` (rendezvous, heartbeats);
 * `node:` built-ins only in `cli/`, `bench/` and `coordinator/`; and no import cycle
 * anywhere. Imports are found by a small tokenizer (comments, strings, template literals
 * and regular expressions are skipped properly), so an `import` inside a JSDoc example
 * or a string does not count, and type-only imports do.
 *
 * @module
 */

import { assert, assertEquals } from "./core/asserts.ts";

/** One import or re-export of a file. */
export interface ImportRef {
  specifier: string;
  line: number;
}

type Token = { kind: "word" | "string" | "punct"; text: string; line: number };

const REGEX_AFTER_WORD = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/** Splits TypeScript source into words, string literals (unquoted) and punctuation. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // Brace depth at which each open template literal's `${` started.
  const templates: number[] = [];
  let depth = 0;
  let line = 1;
  let i = 0;
  const isWordChar = (c: string) => /[\w$]/.test(c);
  const regexAllowed = () => {
    const prev = tokens[tokens.length - 1];
    if (!prev) return true;
    if (prev.kind === "word") return REGEX_AFTER_WORD.has(prev.text);
    if (prev.kind === "string") return false;
    return !/^[)\]}]$/.test(prev.text);
  };
  // Reads a template literal body from i (just after ` or }) to its end or to `${`.
  const templateBody = () => {
    let text = "";
    while (i < src.length) {
      const c = src[i];
      if (c === "\\") {
        text += src.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === "`") {
        i++;
        tokens.push({ kind: "string", text, line });
        return;
      }
      if (c === "$" && src[i + 1] === "{") {
        i += 2;
        tokens.push({ kind: "punct", text: "${", line });
        templates.push(depth);
        depth++;
        return;
      }
      if (c === "\n") line++;
      text += c;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === "\n") line++;
      i = stop;
    } else if (c === '"' || c === "'") {
      let text = "";
      i++;
      while (i < src.length && src[i] !== c && src[i] !== "\n") {
        if (src[i] === "\\") text += src[i++];
        text += src[i++];
      }
      i++;
      tokens.push({ kind: "string", text, line });
    } else if (c === "`") {
      i++;
      templateBody();
    } else if (c === "/" && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < src.length && src[i] !== "\n") {
        const r = src[i++];
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
      }
      while (i < src.length && isWordChar(src[i])) i++; // flags
      tokens.push({ kind: "string", text: "<regex>", line });
    } else if (isWordChar(c)) {
      let j = i;
      while (j < src.length && isWordChar(src[j])) j++;
      tokens.push({ kind: "word", text: src.slice(i, j), line });
      i = j;
    } else {
      i++;
      if (c === "{") depth++;
      if (c === "}") {
        depth--;
        if (templates.length && templates[templates.length - 1] === depth) {
          templates.pop();
          templateBody();
          continue;
        }
      }
      tokens.push({ kind: "punct", text: c, line });
    }
  }
  return tokens;
}

/**
 * The module specifiers a file imports: `import … from "x"`, `import "x"`,
 * `import type …`, `export … from "x"`, and `import("x")` with a literal argument.
 */
export function findImports(src: string): ImportRef[] {
  const t = tokenize(src);
  const out: ImportRef[] = [];
  for (let k = 0; k < t.length; k++) {
    const tok = t[k];
    if (tok.kind !== "word" || (tok.text !== "import" && tok.text !== "export")) continue;
    const prev = t[k - 1];
    if (prev && prev.kind === "punct" && prev.text === ".") continue; // obj.import
    const next = t[k + 1];
    if (!next) continue;
    if (tok.text === "import" && next.kind === "string") {
      out.push({ specifier: next.text, line: tok.line });
      continue;
    }
    if (tok.text === "import" && next.text === "(") {
      const arg = t[k + 2], close = t[k + 3];
      if (
        arg?.kind === "string" && arg.text !== "<regex>" &&
        (close?.text === ")" || close?.text === ",")
      ) {
        out.push({ specifier: arg.text, line: tok.line });
      }
      continue;
    }
    if (tok.text === "import" && next.text === ".") continue; // import.meta
    // A declaration clause: words, `*`, `,`, `{ … }`; then `from "x"` makes it an import.
    if (
      tok.text === "export" && !(next.text === "*" || next.text === "{" || next.text === "type")
    ) {
      continue;
    }
    let j = k + 1;
    let braces = 0;
    while (j < t.length) {
      const x = t[j];
      if (x.text === "{") braces++;
      else if (x.text === "}") braces--;
      else if (braces === 0 && x.kind === "word" && x.text === "from") break;
      else if (braces === 0 && !(x.kind === "word" || x.text === "*" || x.text === ",")) break;
      else if (x.kind === "string" || x.text === ";" || x.text === "(") break;
      j++;
    }
    if (t[j]?.text === "from" && t[j + 1]?.kind === "string") {
      out.push({ specifier: t[j + 1].text, line: tok.line });
    }
  }
  return out;
}

/** A broken rule: the file, the import, and why. */
export interface Violation {
  file: string;
  specifier: string;
  line: number;
  rule: string;
}

const LAYERS = ["core", "gpu", "cpu", "backends", "coordinator", "cli", "bench"] as const;

const BACKENDS_RULE = "backends/ imports only core/, cpu/, gpu/ and backends/";

function topDir(path: string): string {
  return path.split("/")[0];
}

/** Resolves a relative specifier against the importing file (both repository-relative). */
export function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return null;
  const parts = from.split("/").slice(0, -1);
  for (const seg of specifier.split("/")) {
    if (seg === ".") continue;
    if (seg === "..") {
      if (!parts.length) return "<outside the repository>";
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}

/**
 * Checks the import rules over `files` (repository-relative path → source) and finds
 * cycles among them. Returns every violation and every cycle (as a path `a → b → a`).
 */
export function checkImports(files: ReadonlyMap<string, string>): {
  violations: Violation[];
  cycles: string[][];
} {
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();
  for (const [file, src] of files) {
    const layer = topDir(file);
    const edges: string[] = [];
    for (const { specifier, line } of findImports(src)) {
      const target = resolveRelative(file, specifier);
      const bad = (rule: string) => violations.push({ file, specifier, line, rule });
      if (target === null) {
        // npm:, jsr:, http(s):, node:, or a bare name from the import map: all external.
        const isNode = specifier.startsWith("node:");
        if (layer === "core") bad("core/ imports only core/");
        else if (layer === "gpu") bad("gpu/ imports only core/ and gpu/");
        else if (layer === "cpu") bad("cpu/ imports only core/ and cpu/");
        else if (layer === "backends") bad(BACKENDS_RULE);
        else if (isNode && !["cli", "bench", "coordinator"].includes(layer)) {
          bad("node: built-ins only in cli/, bench/ and coordinator/");
        }
        continue;
      }
      edges.push(target);
      const to = topDir(target);
      if (layer === "core" && to !== "core") bad("core/ imports only core/");
      if (layer === "gpu" && to !== "core" && to !== "gpu") bad("gpu/ imports only core/ and gpu/");
      if (layer === "cpu" && to !== "core" && to !== "cpu") bad("cpu/ imports only core/ and cpu/");
      if (layer === "backends" && !["core", "cpu", "gpu", "backends"].includes(to)) {
        bad(BACKENDS_RULE);
      }
      if (layer === "coordinator" && ["gpu", "cpu", "backends", "cli"].includes(to)) {
        bad("coordinator/ never imports a backend or cli/ (a backend is passed in)");
      }
      if (file.startsWith("coordinator/transport/") && target.startsWith("coordinator/job/")) {
        bad("coordinator/transport/ never imports coordinator/job/");
      }
    }
    graph.set(file, edges);
  }
  return { violations, cycles: findCycles(graph) };
}

/** One cycle per strongly connected component with a cycle (Tarjan), as a closed path. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue; // a file outside the scanned set
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) cycles.push(cyclePath(graph, new Set(component)));
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return cycles;
}

// A concrete cycle inside a strongly connected component, for the failure message.
function cyclePath(
  graph: ReadonlyMap<string, readonly string[]>,
  component: Set<string>,
): string[] {
  const start = [...component].sort()[0];
  const parent = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = parent.get(x)!) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Every .ts file under the layers that exist, repository-relative. */
async function readLayers(root: URL): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(new URL(dir, root))];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.isFile && e.name.endsWith(".ts")) {
        files.set(path, await Deno.readTextFile(new URL(path, root)));
      }
    }
  };
  for (const layer of LAYERS) await walk(layer);
  return files;
}

function report(result: ReturnType<typeof checkImports>): string[] {
  return [
    ...result.violations.map((v) => `${v.file}:${v.line} imports "${v.specifier}": ${v.rule}`),
    ...result.cycles.map((c) => `import cycle: ${c.join(" → ")}`),
  ];
}

Deno.test("architecture: layers import only what DESIGN.md allows, with no cycles", async () => {
  const files = await readLayers(new URL("../", import.meta.url));
  assert([...files.keys()].some((f) => f.startsWith("core/")), "no core/ files found");
  const problems = report(checkImports(files));
  assert(problems.length === 0, `${problems.length} import problems:\n${problems.join("\n")}`);
});

Deno.test("architecture: the checker reports violations and cycles in a synthetic tree", () => {
  const files = new Map<string, string>([
    [
      "core/a.ts",
      [
        "/** @example",
        ' * import { x } from "../mod.ts"; // in a comment: ignored',
        " */",
        'import { b } from "./b.ts";',
        'import type { G } from "../gpu/g.ts";',
        'import * as fs from "node:fs";',
        'export { z } from "npm:zod@3";',
        "const s = \"import { y } from '../cli/main.ts'\"; // in a string: ignored",
        'const re = /import"x"/g; const t = `${\'import "../cli/x.ts"\'}`;',
        'const m = import.meta.url; const d = await import("./c.ts");',
      ].join("\n"),
    ],
    ["core/b.ts", 'import {\n  c,\n  type C,\n} from "./c.ts";\nexport const b = 1;'],
    ["core/c.ts", 'export * from "./b.ts";\nexport { c };'],
    ["gpu/g.ts", 'import { a } from "../core/a.ts";\nimport { main } from "../cli/main.ts";'],
    ["cpu/k.ts", 'import { a } from "../core/a.ts";\nimport "../gpu/g.ts";\nimport "node:os";'],
    [
      "coordinator/r.ts",
      'import { g } from "../gpu/g.ts";\nimport { Hono } from "hono";\nimport "node:http";',
    ],
    ["coordinator/transport/t.ts", 'import { j } from "../job/j.ts";'],
    ["coordinator/job/j.ts", 'import { t } from "../transport/u.ts";'],
    [
      "cli/main.ts",
      'import { a } from "../core/a.ts";\nimport { readFile } from "node:fs/promises";',
    ],
    ["bench/self.ts", 'import "./self.ts";'],
  ]);
  const result = checkImports(files);
  assertEquals(
    result.violations.map((v) => `${v.file}:${v.line} ${v.specifier}`),
    [
      "core/a.ts:5 ../gpu/g.ts",
      "core/a.ts:6 node:fs",
      "core/a.ts:7 npm:zod@3",
      "gpu/g.ts:2 ../cli/main.ts",
      "cpu/k.ts:2 ../gpu/g.ts",
      "cpu/k.ts:3 node:os",
      "coordinator/r.ts:1 ../gpu/g.ts",
      "coordinator/transport/t.ts:1 ../job/j.ts",
    ],
  );
  assertEquals(findImports(files.get("core/a.ts")!).map((i) => i.specifier), [
    "./b.ts",
    "../gpu/g.ts",
    "node:fs",
    "npm:zod@3",
    "./c.ts",
  ]);
  assertEquals(result.cycles.map((c) => c.join(" → ")).sort(), [
    "bench/self.ts → bench/self.ts",
    "cli/main.ts → core/a.ts → gpu/g.ts → cli/main.ts",
    "core/b.ts → core/c.ts → core/b.ts",
  ]);
  const messages = report(result);
  assert(
    messages.includes('core/a.ts:5 imports "../gpu/g.ts": core/ imports only core/'),
    messages.join("\n"),
  );
  assert(messages.includes("import cycle: core/b.ts → core/c.ts → core/b.ts"), messages.join("\n"));
});
