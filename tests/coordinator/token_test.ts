import assert from "node:assert/strict";
import { constantTimeEqual, newJobToken } from "../../coordinator/transport/token.ts";

Deno.test("constantTimeEqual compares whole strings", () => {
  assert.ok(constantTimeEqual("", ""));
  assert.ok(constantTimeEqual("Bearer abc", "Bearer abc"));
  assert.ok(!constantTimeEqual("abc", "abd"));
  assert.ok(!constantTimeEqual("abc", "ab"));
  assert.ok(!constantTimeEqual("ab", "abc"));
  assert.ok(!constantTimeEqual("", "a"));
  assert.ok(!constantTimeEqual("é", "e"));
});

Deno.test("newJobToken gives 64 fresh hex digits", () => {
  const a = newJobToken();
  const b = newJobToken();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
});
