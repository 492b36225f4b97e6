/**
 * The heads of HTTP/1.1 messages, as far as the ring's server and client need them:
 * request and status lines, header fields, and bodies framed by `content-length` alone.
 *
 * @module
 */

/** A message that cannot be framed or parsed; `status` is what a server answers to it. */
export class Http1Error extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "Http1Error";
  }
}

/**
 * The header fields of a parsed head, by case-insensitive name; repeated fields are joined
 * with ", " as `Headers` joins them. Lighter than `Headers`, which matters at one head
 * per chunk.
 */
export class HeaderFields {
  readonly #fields = new Map<string, string>();

  /** The value of `name`, or `null` when absent, as `Headers.get` answers. */
  get(name: string): string | null {
    return this.#fields.get(name.toLowerCase()) ?? null;
  }

  /** Adds a field, or a value to a repeated one. */
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const before = this.#fields.get(key);
    this.#fields.set(key, before === undefined ? value : `${before}, ${value}`);
  }

  /** The same fields as `Headers`, for a `Request`. */
  toHeaders(): Headers {
    return new Headers([...this.#fields]);
  }
}

/** A parsed request head. */
export interface RequestHead {
  readonly method: string;
  /** The request target as sent: a path, maybe with a query. */
  readonly target: string;
  readonly headers: HeaderFields;
  /** Whether the client lets the connection carry another request after this one. */
  readonly keepAlive: boolean;
  /** Bytes of body that follow the head. */
  readonly bodyBytes: number;
}

/** A parsed response head. */
export interface ResponseHead {
  readonly status: number;
  readonly headers: HeaderFields;
  /** Whether the server keeps the connection open after this response. */
  readonly keepAlive: boolean;
  /** Bytes of body that follow the head. */
  readonly bodyBytes: number;
}

// Heads are ASCII by the grammar; latin1 maps every other byte to one character, which
// the field grammar below then refuses or passes through unchanged.
const decoder = new TextDecoder("latin1");
const encoder = new TextEncoder();

const FIELD = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\0\r\n]*?)[ \t]*$/;

function parseFields(lines: string[]): HeaderFields {
  const headers = new HeaderFields();
  for (const line of lines) {
    const field = FIELD.exec(line);
    if (field === null) throw new Http1Error(400, `malformed header line ${JSON.stringify(line)}`);
    headers.append(field[1], field[2]);
  }
  return headers;
}

// Transfer codings are refused, so the length is the only framing; a list of lengths
// (repeated fields) is refused too, since two parties could read it differently.
function bodyBytes(headers: HeaderFields): number {
  if (headers.get("transfer-encoding") !== null) {
    throw new Http1Error(501, "transfer-encoding is not supported; send content-length");
  }
  const length = headers.get("content-length");
  if (length === null) return 0;
  if (!/^[0-9]{1,15}$/.test(length)) {
    throw new Http1Error(400, `malformed content-length ${JSON.stringify(length)}`);
  }
  return Number(length);
}

const keepsAlive = (version: string, headers: HeaderFields): boolean => {
  const connection = headers.get("connection")?.toLowerCase() ?? "";
  return version === "HTTP/1.1" ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
};

function split(head: Uint8Array): [string, string[]] {
  // The head ends with an empty line, which is not a field.
  const [start, ...fields] = decoder.decode(head).split("\r\n").slice(0, -2);
  return [start, fields];
}

/**
 * Parses the head of a request, the blank line included.
 *
 * @example
 * ```ts
 * import { parseRequestHead } from "./http1_head.ts";
 * const head = new TextEncoder().encode("PUT /a HTTP/1.1\r\ncontent-length: 4\r\n\r\n");
 * parseRequestHead(head).bodyBytes; // 4
 * ```
 */
export function parseRequestHead(head: Uint8Array): RequestHead {
  const [start, fields] = split(head);
  const line = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\/\S*) (HTTP\/1\.[01])$/.exec(start);
  if (line === null) throw new Http1Error(400, `malformed request line ${JSON.stringify(start)}`);
  const [, method, target, version] = line;
  const headers = parseFields(fields);
  return {
    method,
    target,
    headers,
    keepAlive: keepsAlive(version, headers),
    bodyBytes: bodyBytes(headers),
  };
}

/**
 * Parses the head of a response, the blank line included. Only responses with a
 * `content-length` (or none of a body: 204, 304) can be framed.
 *
 * @example
 * ```ts
 * import { parseResponseHead } from "./http1_head.ts";
 * parseResponseHead(new TextEncoder().encode("HTTP/1.1 204 No Content\r\n\r\n")).status; // 204
 * ```
 */
export function parseResponseHead(head: Uint8Array): ResponseHead {
  const [start, fields] = split(head);
  const line = /^(HTTP\/1\.[01]) ([1-9][0-9]{2})(?: .*)?$/.exec(start);
  if (line === null) throw new Http1Error(502, `malformed status line ${JSON.stringify(start)}`);
  const [, version, code] = line;
  const status = Number(code);
  const headers = parseFields(fields);
  const bodiless = status === 204 || status === 304;
  if (!bodiless && headers.get("content-length") === null) {
    throw new Http1Error(502, `response ${status} without content-length`);
  }
  return {
    status,
    headers,
    keepAlive: keepsAlive(version, headers),
    bodyBytes: bodiless ? 0 : bodyBytes(headers),
  };
}

const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/**
 * The head of a response with `bodyBytes` of body, as bytes. Framing fields among
 * `headers` are replaced by the ones this function writes.
 *
 * @example
 * ```ts
 * import { responseHead } from "./http1_head.ts";
 * responseHead(204, new Headers(), 0, true); // "HTTP/1.1 204 No Content\r\n\r\n" as bytes
 * ```
 */
export function responseHead(
  status: number,
  headers: Headers,
  bodyBytes: number,
  keepAlive: boolean,
): Uint8Array<ArrayBuffer> {
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\n`;
  for (const [name, value] of headers) {
    if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection") {
      head += `${name}: ${value}\r\n`;
    }
  }
  if (status !== 204 && status !== 304) head += `content-length: ${bodyBytes}\r\n`;
  if (!keepAlive) head += "connection: close\r\n";
  return encoder.encode(head + "\r\n");
}
