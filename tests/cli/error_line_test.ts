import assert from "node:assert/strict";
import { errorLine } from "../../cli/error_line.ts";
import { DataFormatError, UsageError } from "../../core/errors.ts";

Deno.test("a configuration field is worded as its flag", () => {
  assert.deepEqual(errorLine(new UsageError("batchSize", "too big")), {
    line: "--batch-size: too big",
    exitCode: 2,
  });
});

Deno.test("typed errors keep their message and exit code", () => {
  assert.deepEqual(errorLine(new DataFormatError("x.idx", "truncated")), {
    line: "x.idx: truncated",
    exitCode: 2,
  });
});

Deno.test("a system error or failed allocation that escaped is its first line, exit 1", () => {
  assert.deepEqual(errorLine(new Deno.errors.PermissionDenied("open 'a'\nmore")), {
    line: "open 'a'",
    exitCode: 1,
  });
  assert.deepEqual(errorLine(new RangeError("Array buffer allocation failed")), {
    line: "Array buffer allocation failed",
    exitCode: 1,
  });
});

Deno.test("anything else is a bug and keeps its stack trace", () => {
  assert.equal(errorLine(new TypeError("x is undefined")), null);
  assert.equal(errorLine(new RangeError("Maximum call stack size exceeded")), null);
});
