/**
 * The matmul tuning cache: one JSON file in the user's cache directory
 * (`$XDG_CACHE_HOME/gradmesh/matmul.json`, else `~/.cache/gradmesh/matmul.json`) holding,
 * per adapter, the variant chosen for each shape class. It is only ever a hint: a missing,
 * unreadable or malformed file means "tune again", said once on stderr, never an error.
 *
 * @module
 */

/** Choices of one adapter: shape class → variant name. */
export type MatmulChoices = Map<string, string>;

interface CacheFile {
  version: 1;
  adapters: Record<string, Record<string, string>>;
}

const VERSION = 1;

/** The cache file's path, or null when no cache directory is known (or env is not allowed). */
export function matmulCachePath(): string | null {
  try {
    const xdg = Deno.env.get("XDG_CACHE_HOME");
    const home = Deno.env.get("HOME");
    const dir = xdg ? xdg : home ? `${home}/.cache` : null;
    return dir ? `${dir}/gradmesh/matmul.json` : null;
  } catch {
    return null;
  }
}

function parse(text: string, path: string): CacheFile {
  const data = JSON.parse(text);
  const ok = data && data.version === VERSION && typeof data.adapters === "object" &&
    Object.values(data.adapters).every((a) =>
      a && typeof a === "object" && Object.values(a).every((v) => typeof v === "string")
    );
  if (!ok) throw new SyntaxError(`${path}: expected {"version": 1, "adapters": {...}}`);
  return data as CacheFile;
}

function readFile(path: string): CacheFile {
  try {
    return parse(Deno.readTextFileSync(path), path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      console.error(`matmul tuning cache ${path} ignored: ${(e as Error).message}`);
    }
    return { version: VERSION, adapters: {} };
  }
}

/** The choices stored for `adapter` at `path` (none when the file is missing or bad). */
export function loadMatmulChoices(path: string, adapter: string): MatmulChoices {
  return new Map(Object.entries(readFile(path).adapters[adapter] ?? {}));
}

/**
 * Stores `choices` for `adapter` at `path`, keeping other adapters' entries: written to a
 * temporary file beside it and renamed over it, so a reader never sees half a file.
 * Returns false (after one line on stderr) when the file cannot be written.
 */
export async function saveMatmulChoices(
  path: string,
  adapter: string,
  choices: MatmulChoices,
): Promise<boolean> {
  const temp = `${path}.${Deno.pid}.tmp`;
  try {
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const data = readFile(path);
    data.adapters[adapter] = Object.fromEntries(choices);
    await Deno.writeTextFile(temp, `${JSON.stringify(data, null, 2)}\n`);
    await Deno.rename(temp, path);
    return true;
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    console.error(`matmul tuning cache ${path} not written: ${(e as Error).message}`);
    return false;
  }
}
