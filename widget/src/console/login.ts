// The sign-in page. POST /api/auth/login sets the HttpOnly session cookie;
// the page keeps nothing itself (the console asks /api/auth/session for the
// CSRF value), so there is no token for a script to steal.

import { h } from "../shared/dom";
import { api } from "./api";
import { carriedHash } from "./deep-link";
import { START_AWAY_KEY } from "./desk";
import { type ConsoleStrings, errorText } from "./i18n";

export async function startLogin(root: HTMLElement, t: ConsoleStrings): Promise<void> {
  // A link to a conversation (#conversation=<id>) waits through sign-in.
  const next = `/console${carriedHash(location.hash)}`;
  // Already signed in (a second tab, the back button): straight to work.
  const current = await api.session();
  if (current.ok) {
    location.replace(next);
    return;
  }
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  // Agents come online when they sign in (supervisors start away); this
  // lets anyone look first without being handed a visitor.
  const away = h("input", { type: "checkbox", name: "away" });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit" }, t.signIn);
  const form = h(
    "form",
    { class: "login" },
    h("h1", {}, t.signInTitle),
    h("label", {}, t.email, email),
    h("label", {}, t.password, password),
    h("label", { class: "check" }, away, t.signInAway),
    error,
    submit,
  );
  root.replaceChildren(form);
  document.title = `${t.signIn} — ${t.appTitle}`;
  email.focus();
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit.disabled = true;
    submit.textContent = t.signingIn;
    error.textContent = "";
    void api.login(email.value.trim(), password.value).then((r) => {
      if (r.ok) {
        if (away.checked) sessionStorage.setItem(START_AWAY_KEY, "1");
        location.assign(next);
        return;
      }
      submit.disabled = false;
      submit.textContent = t.signIn;
      // By code: the gateway's sentence is English whatever the page's language.
      error.textContent = errorText(t, r, t.loginErrors);
      password.select();
    });
  });
}
