import assert from "node:assert/strict";
import { test } from "node:test";
import { addDays, daysBetween, intervalFor, isDate, localNow, previousWindow, rangeWindow, windowDays } from "../src/console/reports/range";

test("calendar arithmetic crosses months, leap days and years", () => {
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
  assert.equal(addDays("2024-03-01", -1), "2024-02-29");
  assert.equal(addDays("2025-12-31", 1), "2026-01-01");
  assert.equal(daysBetween("2026-03-25", "2026-04-01"), 7);
  assert.equal(isDate("2026-02-30"), false);
  assert.equal(isDate("2026-2-3"), false);
  assert.equal(isDate("2026-02-28"), true);
});

test("ranges: today, the last 7 and 30 days including today, custom days both included", () => {
  assert.deepEqual(rangeWindow("today", "2026-05-10"), { ok: true, window: { since: "2026-05-10", until: "2026-05-11" }, days: 1 });
  assert.deepEqual(rangeWindow("7d", "2026-05-10"), { ok: true, window: { since: "2026-05-04", until: "2026-05-11" }, days: 7 });
  assert.deepEqual(rangeWindow("30d", "2026-03-01"), { ok: true, window: { since: "2026-01-31", until: "2026-03-02" }, days: 30 });
  assert.deepEqual(rangeWindow("custom", "2026-05-10", { from: "2026-04-01", to: "2026-04-30" }), {
    ok: true,
    window: { since: "2026-04-01", until: "2026-05-01" },
    days: 30,
  });
  assert.deepEqual(rangeWindow("custom", "2026-05-10", { from: "2026-04-01", to: "2026-04-01" }).ok, true);
});

test("custom ranges that cannot be asked for", () => {
  assert.deepEqual(rangeWindow("custom", "2026-05-10", { from: "", to: "2026-04-01" }), { ok: false, problem: "missing" });
  assert.deepEqual(rangeWindow("custom", "2026-05-10"), { ok: false, problem: "missing" });
  assert.deepEqual(rangeWindow("custom", "2026-05-10", { from: "2026-04-02", to: "2026-04-01" }), { ok: false, problem: "order" });
  assert.deepEqual(rangeWindow("custom", "2026-05-10", { from: "2025-01-01", to: "2026-04-01" }), { ok: false, problem: "tooLong" });
  assert.equal(rangeWindow("custom", "2026-05-10", { from: "2025-03-07", to: "2026-04-10" }).ok, true); // 400 days
});

test("the previous period of a finished window is the same number of days just before", () => {
  const now = { date: "2026-05-10", time: "09:30:00" };
  assert.deepEqual(previousWindow({ since: "2026-04-01", until: "2026-05-01" }, now), { since: "2026-03-02", until: "2026-04-01" });
  assert.deepEqual(previousWindow({ since: "2026-05-09", until: "2026-05-10" }, now), { since: "2026-05-08", until: "2026-05-09" });
});

test("a window under way is compared up to the same time of day", () => {
  const now = { date: "2026-05-10", time: "09:30:00" };
  // today until 09:30 against yesterday until 09:30, not a whole day
  assert.deepEqual(previousWindow({ since: "2026-05-10", until: "2026-05-11" }, now), { since: "2026-05-09", until: "2026-05-09T09:30:00" });
  // the last 7 days: 6 days and a morning against the 7 before, cut at the same point
  assert.deepEqual(previousWindow({ since: "2026-05-04", until: "2026-05-11" }, now), { since: "2026-04-27", until: "2026-05-03T09:30:00" });
});

test("hours for one day, days otherwise", () => {
  assert.equal(intervalFor({ since: "2026-05-10", until: "2026-05-11" }), "hour");
  assert.equal(intervalFor({ since: "2026-05-04", until: "2026-05-11" }), "day");
  assert.equal(windowDays({ since: "2026-05-09", until: "2026-05-09T09:30:00" }), 0);
});

test("the local wall clock", () => {
  const d = new Date(2026, 0, 5, 7, 8, 9);
  assert.deepEqual(localNow(d), { date: "2026-01-05", time: "07:08:09" });
});
