import assert from "node:assert/strict";
import { test } from "node:test";
import { agentStatusText, consoleStrings } from "../src/console/i18n";

test("an agent who never signed in is Offline, not Away (issue 13, defect 9)", () => {
  const en = consoleStrings("en");
  // The gateway registers every agent at start: status offline, not in a grace period.
  assert.equal(agentStatusText(en, { status: "offline", connected: true }), "Offline");
  assert.equal(agentStatusText(en, { status: "online", connected: false }), "Offline");
  assert.equal(agentStatusText(en, { status: "away", connected: true }), "Away");
  assert.equal(agentStatusText(en, { status: "online", connected: true }), "Online");
  assert.equal(agentStatusText(consoleStrings("ja"), { status: "offline", connected: true }), "オフライン");
});
