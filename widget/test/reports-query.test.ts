import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_FILTERS, csvUrl, queryString, seriesUrl, summaryUrl, thresholdsUrl } from "../src/console/reports/query";

const w = { since: "2026-05-04", until: "2026-05-11" };

test("empty parameters are left out, the rest keep their order", () => {
  assert.equal(queryString([["a", ""], ["b", null], ["c", undefined]]), "");
  assert.equal(queryString([["b", 2], ["a", "x y"]]), "?b=2&a=x+y");
});

test("every route asks about the same window and filters", () => {
  assert.equal(summaryUrl(w, "Asia/Tokyo", NO_FILTERS), "/api/reports/summary?since=2026-05-04&until=2026-05-11&tz=Asia%2FTokyo");
  const f = { team: "billing", agent: "a1", intent: "refund_status", locale: "ja" };
  const q = "since=2026-05-04&until=2026-05-11&tz=Asia%2FTokyo&team=billing&agent=a1&intent=refund_status&locale=ja";
  assert.equal(summaryUrl(w, "Asia/Tokyo", f), `/api/reports/summary?${q}`);
  assert.equal(csvUrl(w, "Asia/Tokyo", f), `/api/reports/conversations.csv?${q}`);
  assert.equal(thresholdsUrl(w, "Asia/Tokyo", f), `/api/reports/thresholds?${q}`);
  assert.equal(seriesUrl("bot_frt_p50_s", "day", w, "Asia/Tokyo", f), `/api/reports/timeseries?${q}&metric=bot_frt_p50_s&interval=day`);
});

test("a previous window cut at a time of day is sent as a local time", () => {
  const prev = { since: "2026-05-09", until: "2026-05-09T09:30:00" };
  assert.equal(summaryUrl(prev, "UTC", NO_FILTERS), "/api/reports/summary?since=2026-05-09&until=2026-05-09T09%3A30%3A00&tz=UTC");
});
