// Export and import of the training data as Rasa YAML. Choosing files is the
// import: they are read as text in the browser and sent in one request, and
// every warning or problem is shown as file:line so it can be fixed in an
// editor. Export is a plain link (a zip the browser downloads).

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { EXPORT_URL, adminApi } from "./api";
import { problemText } from "./format";
import { importBody } from "./requests";
import type { Problem } from "./types";

export function importExport(t: ConsoleStrings): HTMLElement {
  const a = t.admin;
  const input = h("input", { type: "file", multiple: true, accept: ".yml,.yaml", "data-action": "import", name: "files" });
  const result = h("div", { class: "import-result", role: "status" });
  const list = (title: string, problems: Problem[]) =>
    problems.length ? [h("p", {}, title), h("ul", { class: "problems" }, ...problems.map((p) => h("li", { "data-file": p.file }, problemText(p))))] : [];

  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])];
    void (async () => {
      const body = importBody(await Promise.all(files.map(async (f) => ({ name: f.name, content: await f.text() }))));
      input.value = "";
      if (body.files.length === 0) {
        result.replaceChildren(h("p", { class: "admin-error" }, a.problems.files ?? ""));
        return;
      }
      input.disabled = true;
      const r = await adminApi.importFiles(body);
      input.disabled = false;
      if (r.ok) {
        const n = r.imported;
        result.replaceChildren(h("p", {}, a.imported(n.intents, n.examples, n.responses)), ...list(a.warnings, r.warnings ?? []));
        result.dataset.state = "imported";
        return;
      }
      const problems = Array.isArray(r.data?.problems) ? (r.data.problems as Problem[]) : [];
      result.replaceChildren(h("p", { class: "admin-error" }, problems.length ? a.notImported : t.refused + r.message), ...list(a.problemsTitle, problems));
      result.dataset.state = "refused";
    })();
  });

  return h(
    "section",
    { class: "import-export", "aria-labelledby": "admin-import-title" },
    h("h3", { id: "admin-import-title" }, a.importTitle),
    h("div", { class: "row" }, h("label", { class: "field" }, h("span", {}, a.importFiles), input), h("a", { href: EXPORT_URL, download: "tsunagu-training-data.zip", "data-action": "export" }, a.exportYaml)),
    result,
  );
}
