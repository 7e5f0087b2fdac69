// The console's stylesheet, applied as a constructed stylesheet (no <link>,
// no inline style attribute needed; the page's CSP allows neither a
// third-party sheet nor inline scripts). Calm colours, one accent; internal
// notes are amber with a dashed border so they can never pass for replies.

export const CONSOLE_CSS = `
* { box-sizing: border-box; }
/* Author display rules (e.g. .actions form { display: flex }) must not un-hide. */
[hidden] { display: none !important; }
html, body, #app { height: 100%; margin: 0; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans CJK JP", "Noto Sans JP", sans-serif; color: #1f2a2a; background: #eef1f0; }
button, select, input, textarea { font: inherit; }
button { cursor: pointer; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
:focus-visible { outline: 2px solid #2f6f5e; outline-offset: 2px; }

/* login */
.login { max-width: 360px; margin: 12vh auto; background: #fff; padding: 28px; border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
.login h1 { font-size: 20px; margin: 0 0 18px; }
.login label { display: block; margin: 0 0 12px; font-weight: 600; }
.login input { display: block; width: 100%; margin-top: 4px; padding: 8px 10px; border: 1px solid #b8c4c0; border-radius: 6px; font-weight: 400; }
.login button { width: 100%; padding: 9px; border: 0; border-radius: 6px; background: #2f6f5e; color: #fff; font-weight: 600; }
.login .error { color: #a3261b; min-height: 1.4em; margin: 0 0 10px; }

/* top bar */
.app { display: flex; flex-direction: column; height: 100%; }
.topbar { display: flex; align-items: center; gap: 12px; padding: 8px 14px; background: #24443b; color: #f2f6f4; flex: none; }
.topbar h1 { font-size: 16px; margin: 0 8px 0 0; font-weight: 700; letter-spacing: .02em; white-space: nowrap; }
.topbar .me, .topbar .load { white-space: nowrap; }
.topbar .me { font-weight: 600; }
.topbar .load { opacity: .85; }
.topbar .spacer { flex: 1; }
.topbar select, .topbar button { background: #35594e; color: #fff; border: 1px solid #4f776a; border-radius: 6px; padding: 4px 8px; }
.presence[data-status="online"] { box-shadow: inset 4px 0 0 #5fd08c; }
.presence[data-status="away"] { box-shadow: inset 4px 0 0 #f0b429; }
.net { background: #fff4d6; color: #5c4400; padding: 6px 14px; flex: none; }
.notice { background: #e3efe9; color: #1f3d33; padding: 6px 14px; flex: none; }
.alert { background: #fde4e1; color: #7a1d13; padding: 6px 14px; flex: none; }

/* tabs and chats */
.body { display: flex; flex: 1; min-height: 0; }
.desk { display: flex; flex-direction: column; flex: 1; min-width: 0; }
.tabs { display: flex; gap: 6px; padding: 8px 10px 0; flex: none; overflow-x: auto; }
.tab { border: 1px solid #c5d0cc; background: #f8faf9; border-radius: 8px 8px 0 0; padding: 5px 10px; white-space: nowrap; color: #1f2a2a; }
.tab[aria-selected="true"] { background: #fff; border-bottom-color: #fff; font-weight: 600; }
.tab.fresh { border-color: #d97706; background: #fff7e6; }
.tab .count { display: inline-block; min-width: 18px; margin-left: 6px; padding: 0 5px; border-radius: 9px; background: #c2410c; color: #fff; font-size: 12px; text-align: center; }
.chats { flex: 1; min-height: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); grid-auto-rows: minmax(0, 1fr); gap: 10px; padding: 10px; }
.empty { margin: 40px auto; color: #5a6b66; max-width: 420px; text-align: center; }
.chat { display: flex; flex-direction: column; min-height: 0; background: #fff; border: 1px solid #cfd8d5; border-radius: 10px; overflow: hidden; }
.chat.active { border-color: #2f6f5e; box-shadow: 0 0 0 1px #2f6f5e; }
.chat.fresh { border-color: #d97706; box-shadow: 0 0 0 2px #f59e0b; }
.chat header { padding: 8px 10px; border-bottom: 1px solid #e3e9e7; background: #f6f8f7; }
.chat h2 { font-size: 15px; margin: 0; display: flex; gap: 6px; align-items: baseline; }
.chat h2 .count { font-size: 12px; color: #fff; background: #c2410c; border-radius: 9px; padding: 0 6px; }
.context { display: grid; grid-template-columns: auto 1fr; gap: 0 8px; margin: 4px 0 0; font-size: 12px; color: #4a5a55; }
.context dt { font-weight: 600; }
.context dd { margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.earlier { font-size: 12px; color: #4a5a55; margin-top: 4px; }
.earlier-title { font-weight: 600; }
.earlier summary { cursor: pointer; color: #1d5a8a; text-decoration: underline; }
.earlier-log { max-height: 160px; overflow-y: auto; background: #fafbfb; border: 1px solid #e3e9e7; border-radius: 6px; padding: 4px 6px; margin: 2px 0 4px; }
.earlier-msg { margin: 2px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.earlier-msg .msg-bubble { padding: 0; background: none; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
.actions button, .actions select { border: 1px solid #b8c4c0; background: #fff; border-radius: 6px; padding: 2px 8px; font-size: 12px; }
.actions .danger { border-color: #d9a39c; color: #8c2a1f; }
.actions form { display: flex; gap: 4px; align-items: center; }
.log { flex: 1; min-height: 0; overflow-y: auto; padding: 8px 10px; display: flex; flex-direction: column; gap: 6px; }
.msg { max-width: 88%; }
.msg-author { font-size: 11px; color: #5a6b66; margin-bottom: 1px; }
.msg-bubble { padding: 6px 9px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg-meta { font-size: 11px; color: #7d8c87; margin-top: 1px; display: flex; gap: 6px; align-items: center; }
.msg-visitor { align-self: flex-start; }
.msg-visitor .msg-bubble { background: #eef2f1; }
.msg-bot { align-self: flex-start; }
.msg-bot .msg-bubble { background: #f3f0fb; color: #2e2553; }
.msg-agent { align-self: flex-end; }
.msg-agent .msg-bubble { background: #2f6f5e; color: #fff; }
.msg-agent .msg-bubble a { color: #e6fff6; }
.msg-system { align-self: center; font-size: 12px; color: #5a6b66; }
.msg.pending { opacity: .6; }
.msg.failed .msg-bubble { background: #fde4e1; color: #7a1d13; }
.intent { font-size: 11px; border-radius: 8px; padding: 0 6px; background: #e0ecff; color: #1d3f7a; }
.intent.low { background: #fff1d6; color: #7a4b00; }
.note { align-self: stretch; background: #fff8db; border: 1px dashed #d4a72c; border-radius: 8px; padding: 5px 8px; }
.note .note-tag { font-size: 11px; font-weight: 700; color: #8a6100; letter-spacing: .03em; }
.note .msg-bubble { padding: 2px 0; background: none; }
.typing { min-height: 18px; padding: 0 10px; font-size: 12px; color: #5a6b66; font-style: italic; }
.composer { border-top: 1px solid #e3e9e7; padding: 6px 8px 8px; position: relative; }
.composer .modes { display: flex; gap: 4px; margin-bottom: 4px; }
.composer .modes button { border: 1px solid #c5d0cc; background: #fff; border-radius: 6px; padding: 1px 8px; font-size: 12px; }
.composer .modes button[aria-pressed="true"] { background: #24443b; color: #fff; border-color: #24443b; }
.composer .modes .note-mode[aria-pressed="true"] { background: #b7791f; border-color: #b7791f; }
.composer .row { display: flex; gap: 6px; }
.composer textarea { flex: 1; resize: none; min-height: 38px; max-height: 140px; padding: 7px 9px; border: 1px solid #b8c4c0; border-radius: 8px; }
.composer.note-mode textarea { background: #fff8db; border: 1px dashed #d4a72c; }
.composer .send { border: 0; border-radius: 8px; padding: 0 14px; background: #2f6f5e; color: #fff; font-weight: 600; }
.composer.note-mode .send { background: #b7791f; }
.composer .error { color: #a3261b; font-size: 12px; margin-top: 3px; }
.suggest { position: absolute; left: 8px; right: 8px; bottom: 100%; max-height: 220px; overflow-y: auto; background: #fff; border: 1px solid #b8c4c0; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.12); margin: 0; padding: 4px; list-style: none; }
.suggest li { padding: 4px 8px; border-radius: 6px; cursor: pointer; }
.suggest li[aria-selected="true"] { background: #e3efe9; }
.suggest .sc { font-weight: 700; color: #24443b; margin-right: 6px; }
.suggest .lc { font-size: 11px; color: #7d8c87; margin-right: 6px; }
.suggest .tx { display: block; font-size: 12px; color: #4a5a55; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.shortcuts { flex: none; padding: 4px 12px 8px; font-size: 12px; color: #5a6b66; }

/* supervisor */
.supervisor { width: 340px; flex: none; overflow-y: auto; background: #fff; border-left: 1px solid #cfd8d5; padding: 10px 12px; }
.supervisor h2 { font-size: 15px; margin: 0 0 8px; }
.supervisor h3 { font-size: 13px; margin: 14px 0 4px; color: #24443b; }
.supervisor table { width: 100%; border-collapse: collapse; font-size: 12px; }
.supervisor th, .supervisor td { text-align: left; padding: 3px 4px; border-bottom: 1px solid #eef1f0; }
.supervisor .figures { display: grid; grid-template-columns: 1fr auto; gap: 2px 8px; font-size: 12px; margin: 0; }
.supervisor .figures dd { margin: 0; font-weight: 700; text-align: right; }

.canned-item { border-top: 1px solid #eef1f0; padding: 8px 0; display: grid; gap: 4px; font-size: 12px; }
.canned-item label { display: grid; gap: 2px; font-weight: 600; }
.canned-item input, .canned-item textarea, .canned-item select { font-weight: 400; padding: 3px 6px; border: 1px solid #b8c4c0; border-radius: 6px; }
.canned-item .row { display: flex; gap: 6px; }
.canned-item button { border: 1px solid #b8c4c0; background: #fff; border-radius: 6px; padding: 2px 10px; }
.canned-item .danger { border-color: #d9a39c; color: #8c2a1f; }

/* narrow screens: one chat at a time, chosen with the tabs */
@media (max-width: 899px) {
  .chats { grid-template-columns: 1fr; }
  .chat:not(.active) { display: none; }
  .supervisor { display: none; }
  .body.show-side .supervisor:not([hidden]) { display: block; width: 100%; }
  .body.show-side .desk { display: none; }
}
`;

/** Applies the stylesheet to the document (constructed sheet where supported). */
export function applyStyles(doc: Document): void {
  if ("adoptedStyleSheets" in doc && typeof CSSStyleSheet.prototype.replaceSync === "function") {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CONSOLE_CSS);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  } else {
    const style = doc.createElement("style");
    style.textContent = CONSOLE_CSS;
    doc.head.append(style);
  }
}
