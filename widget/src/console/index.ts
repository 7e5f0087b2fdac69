// Entry point of console.js, loaded by both gateway pages: /login
// (<body data-page="login">) and /console (<body data-page="console">).
// One bundle keeps the socket, rendering and i18n code in one download.

import { applyStyles } from "./styles";
import { startConsole } from "./app";
import { consoleLocale, consoleStrings } from "./i18n";
import { startLogin } from "./login";

function main(): void {
  applyStyles(document);
  const locale = consoleLocale();
  const t = consoleStrings(locale);
  document.documentElement.lang = locale;
  const root = document.getElementById("app") ?? document.body;
  if (document.body.dataset.page === "login") void startLogin(root, t);
  else void startConsole(root, t, locale);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main, { once: true });
else main();
