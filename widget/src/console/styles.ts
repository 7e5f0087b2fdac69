// The console's stylesheet, applied as a constructed stylesheet (no <link>,
// no inline style attribute needed; the page's CSP allows neither a
// third-party sheet nor inline scripts). Calm colours, one accent; internal
// notes are amber with a dashed border so they can never pass for replies.

import { REPORTS_CSS } from "./reports/styles";

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
.login label.check { display: flex; gap: 8px; align-items: center; font-weight: 400; }
.login label.check input { display: inline; width: auto; margin: 0; }
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
.tab-name { display: inline-block; max-width: 16em; overflow: hidden; text-overflow: ellipsis; vertical-align: bottom; }
.tab-wait { margin-left: 6px; font-size: 12px; color: #8c2a1f; font-variant-numeric: tabular-nums; }
.tab-wait::before { content: "⏱ " / ""; }
.presence-dot { display: inline-block; width: 8px; height: 8px; margin-right: 6px; border-radius: 50%; vertical-align: middle; background: #15803d; }
.presence-dot[data-presence="idle"] { background: #b45309; }
.presence-dot[data-presence="left"] { background: transparent; border: 1.5px solid #5a6b66; }
.visitor-presence { flex: none; font-size: 12px; font-weight: 400; padding: 0 7px; border-radius: 9px; background: #dcfce7; color: #14532d; white-space: nowrap; }
.visitor-presence[data-presence="idle"] { background: #fef3c7; color: #78350f; }
.visitor-presence[data-presence="left"] { background: #e5e7eb; color: #374151; }
.tab .count { display: inline-block; min-width: 18px; margin-left: 6px; padding: 0 5px; border-radius: 9px; background: #c2410c; color: #fff; font-size: 12px; text-align: center; }
.chats { flex: 1; min-height: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); grid-auto-rows: minmax(0, 1fr); gap: 10px; padding: 10px; }
.empty { margin: 40px auto; color: #5a6b66; max-width: 420px; text-align: center; }
.chat { display: flex; flex-direction: column; min-height: 0; background: #fff; border: 1px solid #cfd8d5; border-radius: 10px; overflow: hidden; }
.chat.active { border-color: #2f6f5e; box-shadow: 0 0 0 1px #2f6f5e; }
.chat.fresh { border-color: #d97706; box-shadow: 0 0 0 2px #f59e0b; }
.chat header { padding: 8px 10px; border-bottom: 1px solid #e3e9e7; background: #f6f8f7; }
/* One row for who and the tools, one line of visitor details: at 1366x768 the transcript gets the height. */
.head-row { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; }
.chat h2 { font-size: 15px; margin: 0; display: flex; gap: 6px; align-items: baseline; flex: 1 1 0; min-width: 6em; }
.chat h2 .who { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.visitor-details { font-size: 12px; color: #4a5a55; margin-top: 2px; }
/* A block, not a list-item: the native marker with an ellipsis breaks the one line. */
.visitor-details summary { display: block; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.visitor-details summary::-webkit-details-marker { display: none; }
.visitor-details summary::before { content: "▸ " / ""; }
.visitor-details[open] summary::before { content: "▾ " / ""; }
.visitor-details summary .label { font-weight: 600; }
.chat h2 .lang-badge { font-size: 11px; font-weight: 700; letter-spacing: 0.04em; text-decoration: none; color: #1f5f4f; border: 1px solid #1f5f4f; border-radius: 4px; padding: 0 4px; }
.chat h2 .count { font-size: 12px; color: #fff; background: #c2410c; border-radius: 9px; padding: 0 6px; }
.context { display: grid; grid-template-columns: auto 1fr; gap: 0 8px; margin: 4px 0 0; font-size: 12px; color: #4a5a55; }
.context dt { font-weight: 600; }
.context dd { margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.earlier { font-size: 12px; color: #4a5a55; margin-top: 2px; display: flex; flex-wrap: wrap; gap: 0 10px; }
.earlier details[open] { flex-basis: 100%; }
.earlier-title { font-weight: 600; }
.earlier summary { cursor: pointer; color: #1d5a8a; text-decoration: underline; }
.earlier-log { max-height: 160px; overflow-y: auto; background: #fafbfb; border: 1px solid #e3e9e7; border-radius: 6px; padding: 4px 6px; margin: 2px 0 4px; }
.earlier-msg { margin: 2px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.earlier-msg .msg-bubble { padding: 0; background: none; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; }
.close-dialog { border: 1px solid #cfd8d5; border-radius: 10px; padding: 16px 18px; max-width: 400px; color: #1f2a2a; box-shadow: 0 8px 30px rgba(0,0,0,.2); }
.close-dialog::backdrop { background: rgba(20, 35, 30, .35); }
.close-dialog .question { font-weight: 700; margin: 0 0 6px; }
.close-dialog .detail { margin: 0 0 8px; font-size: 13px; color: #4a5a55; }
.close-dialog select { padding: 3px 6px; border: 1px solid #b8c4c0; border-radius: 6px; }
.close-dialog .buttons { display: flex; gap: 8px; justify-content: flex-end; margin-top: 12px; }
.close-dialog button { border: 1px solid #b8c4c0; background: #fff; border-radius: 6px; padding: 4px 12px; }
.close-dialog .danger { background: #a3261b; border-color: #a3261b; color: #fff; font-weight: 600; }
.actions button, .actions select { border: 1px solid #b8c4c0; background: #fff; border-radius: 6px; padding: 2px 8px; font-size: 12px; }
.actions .danger { border-color: #d9a39c; color: #8c2a1f; }
.actions form { display: flex; gap: 4px; align-items: center; }
.log { flex: 1; min-height: 0; overflow-y: auto; padding: 8px 10px; display: flex; flex-direction: column; gap: 6px; }
.msg { max-width: 88%; }
.msg-author { font-size: 11px; color: #5a6b66; margin-bottom: 1px; }
.msg-bubble { padding: 6px 9px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
/* #5a6b66: 5.6:1 on white and 5.3:1 on a note's amber (WCAG AA at 11 px; #7d8c87 was 3.5:1). */
.msg-meta { font-size: 11px; color: #5a6b66; margin-top: 1px; display: flex; gap: 6px; align-items: center; }
.msg-visitor { align-self: flex-start; }
.msg-visitor .msg-bubble { background: #eef2f1; }
.msg-bot { align-self: flex-start; }
.msg-bot .msg-bubble { background: #f3f0fb; color: #2e2553; }
.msg-agent { align-self: flex-end; }
.msg-agent .msg-bubble { background: #2f6f5e; color: #fff; }
.msg-agent .msg-bubble a { color: #e6fff6; }
.msg-system { align-self: center; max-width: 92%; text-align: center; font-size: 12px; color: #5a6b66; }
.msg-system .msg-bubble { padding: 2px 8px; font-style: italic; background: none; }
.msg-system .msg-meta { justify-content: center; }
.msg-seen { font-size: 11px; color: #5a6b66; text-align: right; }
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
.composer .attach { flex: none; width: 38px; border: 1px solid #c5d0cc; background: #fff; border-radius: 8px; display: flex; align-items: center; justify-content: center; cursor: pointer; color: #3d4f49; }
.composer .attach svg { width: 18px; height: 18px; fill: currentColor; }
.composer .attach[aria-busy] { opacity: .5; }
.composer .upload-status { font-size: 12px; color: #4a5a55; margin-top: 4px; }
.composer .upload-status.failed { color: #b3261e; }
.msg-files { display: flex; flex-direction: column; gap: 4px; }
.file-image img { display: block; max-width: min(260px, 100%); max-height: 260px; border-radius: 8px; border: 1px solid #dfe6e3; }
.file-image img:not([src]) { width: 120px; height: 90px; background: #f1f4f5; }
.file-doc { display: inline-block; padding: 6px 10px; border-radius: 8px; border: 1px solid #c5d0cc; background: #fff; overflow-wrap: anywhere; }
.composer textarea { flex: 1; resize: none; min-height: 38px; max-height: 140px; padding: 7px 9px; border: 1px solid #b8c4c0; border-radius: 8px; }
.composer.note-mode textarea { background: #fff8db; border: 1px dashed #d4a72c; }
.composer .send { border: 0; border-radius: 8px; padding: 0 14px; background: #2f6f5e; color: #fff; font-weight: 600; }
.composer.note-mode .send { background: #b7791f; }
.composer .error { color: #a3261b; font-size: 12px; margin-top: 3px; }
.suggest { position: absolute; left: 8px; right: 8px; bottom: 100%; max-height: 220px; overflow-y: auto; background: #fff; border: 1px solid #b8c4c0; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.12); margin: 0; padding: 4px; list-style: none; }
.suggest li { padding: 4px 8px; border-radius: 6px; cursor: pointer; }
.suggest li[aria-selected="true"] { background: #e3efe9; }
.suggest .sc { font-weight: 700; color: #24443b; margin-right: 6px; }
.suggest .lc { font-size: 11px; color: #5a6b66; margin-right: 6px; }
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

/* flag a visitor message for the bot's inbox */
.msg-meta .flag { border: 1px solid #c5d0cc; background: #fff; color: #4a5a55; border-radius: 8px; padding: 0 6px; font-size: 11px; }
.msg-meta .flag[data-flagged="true"] { background: #e3efe9; border-color: #2f6f5e; color: #1f3d33; }
.msg-meta .flag[data-flagged="error"] { border-color: #d9a39c; color: #8c2a1f; }

/* admin section (in place of the chats) */
.topbar .admin-toggle { white-space: nowrap; flex: none; }
.topbar .admin-toggle[aria-pressed="true"] { background: #f2f6f4; color: #24443b; font-weight: 600; }
.body.show-admin .desk { display: none; }
.admin { flex: 1; min-width: 0; overflow-y: auto; padding: 10px 14px 24px; }
.admin-head { display: flex; align-items: center; gap: 12px; }
.admin-head h2 { font-size: 17px; margin: 0; flex: 1; }
.admin-tabs { display: flex; gap: 6px; margin: 10px 0 0; border-bottom: 1px solid #c5d0cc; }
.admin-panel { background: #fff; border: 1px solid #c5d0cc; border-top: 0; border-radius: 0 0 10px 10px; padding: 12px 14px; }
.admin h3 { font-size: 15px; margin: 14px 0 6px; color: #24443b; }
.admin h4 { font-size: 13px; margin: 12px 0 4px; color: #24443b; }
.admin h5 { font-size: 12px; margin: 6px 0 2px; }
.admin .intro, .admin .meta { color: #4a5a55; font-size: 13px; margin: 0 0 8px; }
.admin button, .admin select, .admin input, .admin textarea { border: 1px solid #b8c4c0; border-radius: 6px; padding: 3px 8px; background: #fff; color: #1f2a2a; }
.admin button:disabled, .admin button[aria-disabled="true"] { opacity: .55; cursor: default; }
.admin .tab { border-radius: 8px 8px 0 0; border-bottom: 0; background: #f8faf9; padding: 5px 14px; }
.admin .tab[aria-selected="true"] { background: #fff; font-weight: 600; box-shadow: 0 1px 0 #fff; }
.admin .primary { background: #2f6f5e; border-color: #2f6f5e; color: #fff; font-weight: 600; }
.admin .danger { border-color: #d9a39c; color: #8c2a1f; }
.admin .row { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: flex-end; margin: 6px 0; }
.admin .field { display: grid; gap: 2px; font-size: 12px; font-weight: 600; }
.admin .field input, .admin .field textarea, .admin .field select { font-weight: 400; font-size: 14px; }
.admin .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 10px 14px; }
.admin textarea { width: 100%; resize: vertical; }
.admin-status { min-height: 1.4em; margin: 6px 0; color: #1f3d33; }
.admin-status:empty { min-height: 0; margin: 0; }
.admin-status.bad, .admin-error { color: #a3261b; }
.admin .empty { color: #5a6b66; margin: 16px 0; text-align: left; }
.admin .tag { display: inline-block; font-size: 11px; border-radius: 8px; padding: 0 6px; margin-left: 4px; background: #eef1f0; color: #4a5a55; font-weight: 400; }
.admin .tag.bad { background: #fde4e1; color: #7a1d13; }
.admin .active-tag { background: #dff3e8; color: #1f5c3a; font-weight: 600; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 0; }
.chips li { font-size: 12px; border-radius: 9px; padding: 0 8px; background: #e0ecff; color: #1d3f7a; }
.chips li[data-reason] { background: #fff1d6; color: #7a4b00; }
.admin-card { border: 1px solid #cfd8d5; border-radius: 10px; padding: 10px 12px; margin: 10px 0; }
.admin-card .card-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
.admin-card h3 { margin: 0; }
.facts { display: grid; grid-template-columns: auto 1fr; gap: 4px 10px; font-size: 13px; margin: 8px 0; }
.facts dt { font-weight: 600; color: #4a5a55; }
.facts dd { margin: 0; }
.group-examples { border: 0; padding: 0; margin: 6px 0; }
.group-examples legend { font-size: 12px; font-weight: 600; color: #4a5a55; padding: 0; }
.admin ul.examples { list-style: none; margin: 4px 0; padding: 0; }
.admin ul.examples li { display: flex; gap: 6px; align-items: baseline; padding: 2px 0; border-bottom: 1px solid #f0f3f2; }
.admin ul.examples label { flex: 1; display: flex; gap: 6px; align-items: baseline; }
.admin .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.admin ul.examples .text { flex: 1; }
.new-intent-form { border: 1px dashed #b8c4c0; border-radius: 8px; padding: 8px 10px; margin: 8px 0; display: grid; gap: 6px; }
.split { display: grid; grid-template-columns: minmax(200px, 280px) 1fr; gap: 14px; align-items: start; }
.intent-side input[type="search"] { width: 100%; margin-bottom: 6px; }
.intent-list { list-style: none; margin: 0; padding: 0; max-height: 70vh; overflow-y: auto; }
.intent-list button { width: 100%; display: flex; justify-content: space-between; gap: 8px; text-align: left; border: 0; border-radius: 6px; padding: 4px 8px; }
.intent-list button[aria-current="true"] { background: #e3efe9; font-weight: 600; }
.intent-list .counts { font-size: 11px; color: #5a6b66; white-space: nowrap; }
.admin .answer { border: 1px solid #e3e9e7; border-radius: 8px; display: grid; gap: 6px; }
.qr-row { display: flex; gap: 4px; margin: 3px 0; }
.qr-row input { flex: 1; min-width: 0; }
.qr-title { font-size: 12px; font-weight: 600; }
.conflict { background: #fde4e1; border-radius: 6px; padding: 6px 8px; }
.job { border: 1px solid #cfd8d5; border-radius: 8px; padding: 6px 10px; margin: 8px 0; }
.job h3 { margin: 0 0 2px; }
.job .stage { margin: 0 0 4px; }
.job progress { width: min(420px, 70%); vertical-align: middle; }
.job .pct { margin-left: 8px; font-variant-numeric: tabular-nums; }
.admin-table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
.admin-table th, .admin-table td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef1f0; vertical-align: top; }
.admin-table td { font-variant-numeric: tabular-nums; }
.admin-table tr.active td { background: #f2faf5; }
.admin-table tr.worse td, .admin-table tr.regression td { background: #fff1ee; }
.admin-table [aria-pressed="true"] { background: #24443b; color: #fff; }
.audit-table { width: 100%; }
.audit-detail pre { background: #f6f8f7; border: 1px solid #e3e9e7; border-radius: 6px; padding: 6px 8px; margin: 0; max-height: 320px; overflow: auto; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
/* webhooks tab */
.webhook-table, .delivery-table { width: 100%; }
.webhook-table .events { font-family: ui-monospace, monospace; font-size: 12px; }
.webhook-table .actions { white-space: nowrap; }
.webhook-events { border: 1px solid #e3e9e7; border-radius: 8px; margin: 6px 0; padding: 4px 10px 6px; display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 2px 12px; }
.webhook-events legend { font-size: 12px; font-weight: 600; padding: 0 4px; }
.admin .check { font-size: 13px; display: inline-flex; gap: 4px; align-items: baseline; margin-right: 12px; }
.secret-once { border: 2px solid #c98a1b; background: #fff8e6; border-radius: 10px; padding: 8px 12px; margin: 10px 0; }
.secret-once h4 { margin-top: 0; }
.secret-once .once { font-weight: 600; color: #6b4a00; margin: 0 0 6px; }
.secret-once .secret { font-size: 14px; background: #fff; border: 1px solid #e0c9a0; border-radius: 6px; padding: 3px 8px; user-select: all; overflow-wrap: anywhere; }
.delivery-table .error { max-width: 260px; font-size: 12px; color: #7a1d13; }
.admin .tag.state-delivered { background: #dff3e8; color: #1f5c3a; }
.admin .tag.state-failed { background: #fde4e1; color: #7a1d13; font-weight: 600; }
.admin .tag.state-retrying { background: #fff1d6; color: #6b4a00; }
.delivery-detail .facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; margin: 4px 0 8px; }
.delivery-detail dt { font-weight: 600; color: #4a5a55; }
.delivery-detail dd { margin: 0; }
.delivery-detail pre { background: #f6f8f7; border: 1px solid #e3e9e7; border-radius: 6px; padding: 6px 8px; margin: 0 0 8px; max-height: 320px; overflow: auto; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.gate { border-top: 1px solid #e3e9e7; margin-top: 12px; }
.verdict { border-radius: 8px; padding: 6px 10px; margin: 6px 0; }
.verdict p { margin: 0; font-weight: 600; }
.verdict ul { margin: 4px 0 0; }
.verdict.passed { background: #e3f5ea; color: #1f5c3a; }
.verdict.refused { background: #fde4e1; color: #7a1d13; }
.ask-reason { border: 1px dashed #d9a39c; border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
.problems { font-family: ui-monospace, monospace; font-size: 12px; }
.import-export { border-top: 1px solid #e3e9e7; margin-top: 16px; }
.import-export a { color: #1d5a8a; }

/* narrow screens: one chat at a time, chosen with the tabs */
/* inbox */
.body.show-inbox .desk { display: none; }
.inbox .inbox-filters .field input, .inbox .inbox-filters .field select { min-width: 0; width: 150px; }
.inbox-grid { display: grid; grid-template-columns: minmax(320px, 2fr) 3fr; gap: 14px; align-items: start; }
.inbox-results { list-style: none; margin: 0; padding: 0; display: grid; gap: 4px; }
.inbox-row { display: grid; grid-template-columns: 1fr auto auto; gap: 2px 8px; width: 100%; text-align: left; padding: 6px 8px !important; }
.inbox-row[aria-current="true"] { border-color: #2f6f5e !important; box-shadow: 0 0 0 1px #2f6f5e; }
.inbox-row .who { font-weight: 600; }
.inbox-row .state, .inbox-row .when, .inbox-row .agent { font-size: 12px; color: #3d4f49; }
.inbox-row .first { grid-column: 1 / -1; font-size: 13px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.inbox-row .chips { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 4px; font-size: 11px; }
.inbox-row .chips .intent { background: #e7efed; border-radius: 8px; padding: 0 6px; }
.inbox-row .chips .tag { background: #fdf0d5; border-radius: 8px; padding: 0 6px; color: #5b4300; }
.inbox-reader { border: 1px solid #cfd8d5; border-radius: 8px; padding: 8px 10px; background: #fff; min-height: 200px; }
.inbox-reader .log { max-height: 60vh; overflow-y: auto; }
.inbox-reader .reader-head h3 { margin: 0 0 2px; }
.inbox-reader .link { border: 0 !important; background: none !important; color: #1d5a4a; text-decoration: underline; padding: 2px 0 !important; text-align: left; }
.inbox-row .chips .offline { background: #dbe8f5; border-radius: 8px; padding: 0 6px; color: #1d3f5e; font-weight: 600; }
.inbox-reader .reader-problem { color: #8c2a1f; }
.email-reply { border-top: 1px solid #e3e9e7; margin-top: 10px; padding-top: 8px; display: grid; gap: 6px; }
.email-reply h4 { margin: 0; }
.email-reply .email-to { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.email-reply textarea { width: 100%; box-sizing: border-box; font: inherit; resize: vertical; }
.email-reply .row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.email-reply .email-status { margin: 0; min-height: 1.3em; }
.email-reply .email-status.error { color: #a3261b; }
.profile-conversations { padding-left: 18px; }
.tags { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; margin: 4px 0; font-size: 12px; }
.tag-list { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 0; }
.tag-list .tag { background: #fdf0d5; color: #5b4300; border-radius: 10px; padding: 0 2px 0 8px; display: inline-flex; align-items: center; gap: 2px; }
.tag-list .tag .tag-remove { border: 0; background: none; color: #5b4300; cursor: pointer; font-size: 14px; line-height: 1; padding: 0 4px; }
.tag-form { display: inline-flex; gap: 4px; }
.tag-form input { width: 90px; font-size: 12px; }
.tag-error { color: #8c2a1f; }
/* supervisor live chats */
.supervisor:has(.watch) { width: 460px; }
.supervisor .live td .watch-btn { font-size: 12px; padding: 1px 6px; }
.supervisor tr[data-state="queued"] td:nth-child(3) { color: #8c2a1f; font-weight: 600; }
.watch { border: 1px solid #cfd8d5; border-radius: 8px; padding: 6px 8px; margin-top: 8px; }
.watch-head { display: flex; align-items: center; gap: 8px; }
.watch-head h3 { flex: 1; margin: 0 !important; }
.watch .log { max-height: 300px; overflow-y: auto; }
.watch .whisper { display: flex; gap: 6px; margin-top: 6px; }
.watch .whisper textarea { flex: 1; resize: vertical; }
.watch-actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; align-items: center; }
.watch .error.ok { color: #1d5a4a; }
@media (max-width: 899px) {
  .chats { grid-template-columns: 1fr; }
  .chat:not(.active) { display: none; }
  .supervisor { display: none; }
  .body.show-side .supervisor:not([hidden]) { display: block; width: 100%; }
  .body.show-side .desk { display: none; }
  .body.show-admin.show-side .admin { display: none; }
  .split { grid-template-columns: 1fr; }
}
${REPORTS_CSS}`;

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
