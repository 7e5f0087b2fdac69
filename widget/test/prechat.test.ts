import assert from "node:assert/strict";
import { test } from "node:test";
import { readPrechat } from "../src/embed/config";

test("data-prechat: fields, required ones, off, and the gateway's setting when absent", () => {
  assert.deepEqual(readPrechat("name,email*"), { fields: ["name", "email"], required: ["email"] });
  assert.deepEqual(readPrechat(" Email* , name "), { fields: ["email", "name"], required: ["email"] });
  assert.deepEqual(readPrechat("off"), { fields: [], required: [] });
  assert.equal(readPrechat(undefined), null);
  assert.equal(readPrechat(""), null);
  assert.equal(readPrechat("name,phone"), null);
});
