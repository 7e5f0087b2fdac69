// The widget's whole stylesheet, inside its shadow root. Host-page rules
// cannot select anything in here; `:host { all: initial !important }` stops
// what they could still do to the host element itself (and to inherited
// properties). Sizes are in px, never rem, because a host page's
// `html { font-size: 40px }` would otherwise scale us.

export const CSS_TEXT = `
:host{all:initial!important;display:block!important;position:static!important;transform:none!important;contain:none!important}
.root{--accent:#2f6f5e;--fg:#1d2327;--muted:#5f6b73;--bg:#fff;--line:#dde3e6;--bot:#f1f4f5;--sys:#fff7e0;
font:14px/1.5 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP","Noto Sans CJK JP",Meiryo,sans-serif;
color:var(--fg);position:fixed;bottom:20px;right:20px;z-index:2147483000;text-align:left;direction:ltr;letter-spacing:normal;-webkit-font-smoothing:antialiased}
.root.left{right:auto;left:20px}
*,*::before,*::after{box-sizing:border-box}
button,textarea,input{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
[hidden]{display:none!important}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0;padding:0}
.launcher{position:relative;width:60px;height:60px;border-radius:50%;border:0;background:var(--accent);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;padding:0;margin:0}
.launcher svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d93025;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}
.panel{position:absolute;bottom:76px;right:0;width:370px;height:560px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:var(--bg);border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}
.root.left .panel{right:auto;left:0}
header{padding:10px 12px 10px 16px;background:var(--accent);color:#fff}
.head-row{display:flex;align-items:center;gap:8px}
.head-text{flex:1;min-width:0}
header h2{margin:0;font-size:16px;font-weight:700;line-height:1.3;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.team{margin:0;font-size:12px;line-height:1.4;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.avatars{display:flex;list-style:none;margin:0;padding:0 0 0 6px}
.avatar{width:30px;height:30px;margin-left:-6px;border-radius:50%;border:2px solid #fff;color:#fff;font-size:12px;font-weight:700;line-height:1;display:flex;align-items:center;justify-content:center;overflow:hidden}
.expect{margin:4px 0 0;font-size:12px;line-height:1.4}
.icon-btn{width:36px;height:36px;border:0;border-radius:8px;background:transparent;color:inherit;font-size:22px;line-height:1;padding:0}
.icon-btn:hover{background:rgba(255,255,255,.18)}
.tools{display:flex;gap:8px;padding:6px 12px;border-bottom:1px solid var(--line);background:#fafbfb}
.tools button{border:1px solid var(--line);background:#fff;border-radius:16px;padding:3px 12px;font-size:13px}
.tools button:hover{border-color:var(--accent)}
.banner{padding:8px 14px;font-size:13px;background:var(--sys);color:#5c4700;border-bottom:1px solid #f0e2b6}
.banner.alert{background:#fdecea;color:#8c1d18;border-color:#f5c6c2}
.banner.info{background:#eaf4f1;color:#1d4b3f;border-color:#cfe5de}
.log{flex:1;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.msg{display:flex;flex-direction:column;max-width:82%;align-self:flex-start}
.msg-visitor{align-self:flex-end;align-items:flex-end}
.msg-system{align-self:center;max-width:92%;align-items:center}
.msg-author{font-size:12px;color:var(--muted);margin:0 4px 2px;font-weight:600}
.msg-agent .msg-author{color:var(--accent)}
.msg-bubble{padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}
.msg-bot .msg-bubble{background:var(--bot);border-bottom-left-radius:4px}
.msg-agent .msg-bubble{background:#fff;border:1px solid var(--accent);border-bottom-left-radius:4px}
.msg-visitor .msg-bubble{background:var(--accent);color:#fff;border-bottom-right-radius:4px}
.msg-visitor .msg-bubble a{color:#fff}
.msg-system .msg-bubble{background:transparent;color:var(--muted);font-size:12px;font-style:italic;text-align:center;padding:2px 8px}
.msg-bubble a{color:var(--accent);text-decoration:underline}
.msg-meta{font-size:11px;color:var(--muted);margin:2px 4px 0}
.msg-seen{font-size:11px;color:var(--muted);margin:0 4px}
.msg.pending .msg-bubble{opacity:.6}
.msg.failed .msg-bubble{background:#fff;color:#b3261e;border:1px dashed #b3261e}
.typing{padding:0 16px 6px;font-size:12px;color:var(--muted);min-height:0}
.quick{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px 8px;justify-content:flex-end}
.quick button{border:1px solid var(--accent);background:#fff;color:var(--accent);border-radius:16px;padding:5px 12px;font-size:13px}
.quick button:hover{background:var(--accent);color:#fff}
.card{margin:0 12px 10px;padding:12px;border:1px solid var(--line);border-radius:10px;background:#fafbfb}
.card p{margin:0 0 8px}
.card h3{margin:0 0 4px;font-size:14px}
.scores{display:flex;gap:6px;align-items:center;flex-wrap:wrap}
.scores button{width:40px;height:40px;border-radius:50%;border:1px solid var(--accent);background:#fff;color:var(--accent);font-weight:700;padding:0}
.scores button:hover,.scores button[aria-pressed=true]{background:var(--accent);color:#fff}
.scale{display:flex;justify-content:space-between;font-size:11px;color:var(--muted);margin-top:4px;max-width:224px}
.choices h3{margin-bottom:8px}
.choice-list{display:flex;flex-wrap:wrap;gap:6px}
.choice-list button{border:1px solid var(--accent);background:#fff;color:var(--accent);border-radius:16px;padding:5px 12px;font-size:13px}
.choice-list button:hover{background:var(--accent);color:#fff}
.choice-list button:disabled{opacity:.6}
.offline label,.prechat label{display:block;font-size:12px;color:var(--muted);margin-top:6px}
.prechat input{display:block;width:100%;border:1px solid var(--line);border-radius:8px;padding:6px 8px;background:#fff;margin-top:2px}
.prechat input[aria-invalid=true]{border-color:#b3261e}
.prechat .actions{display:flex;align-items:center;gap:12px}
.link{margin-top:10px;border:0;background:transparent;color:var(--accent);text-decoration:underline;padding:8px 4px}
.transcript label{display:block;font-size:12px;color:var(--muted)}
.transcript .row{display:flex;gap:8px;margin-top:2px}
.transcript input{flex:1;min-width:0;border:1px solid var(--line);border-radius:8px;padding:6px 8px;background:#fff}
.transcript .done{margin:6px 0 0;font-size:13px}
.form-error{color:#b3261e;font-size:13px;margin:8px 0 0}
.offline input,.offline textarea{display:block;width:100%;border:1px solid var(--line);border-radius:8px;padding:6px 8px;background:#fff;margin-top:2px}
.offline textarea{min-height:70px;resize:vertical}
.primary{margin-top:10px;border:0;border-radius:8px;background:var(--accent);color:#fff;padding:8px 14px;font-weight:600}
.composer{display:flex;flex-wrap:wrap;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid var(--line);background:#fff}
.limit{flex-basis:100%;margin:0;font-size:12px;color:var(--muted);text-align:right}
.limit.over{color:#b3261e;text-align:left}
.offline .limit{margin-top:4px}
.composer textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:18px;padding:8px 14px;min-height:38px;max-height:120px;line-height:20px;background:#fff;overflow-y:auto}
.composer textarea:focus{border-color:var(--accent);outline:none}
.send{width:38px;height:38px;border-radius:50%;border:0;background:var(--accent);color:#fff;flex:none;padding:0;display:flex;align-items:center;justify-content:center}
.send svg{width:18px;height:18px;fill:currentColor}
.attach{width:38px;height:38px;border-radius:50%;border:0;background:transparent;color:var(--muted);flex:none;padding:0;display:flex;align-items:center;justify-content:center;cursor:pointer}
.attach svg{width:20px;height:20px;fill:currentColor}
.attach[aria-busy]{opacity:.5}
.upload-status{flex-basis:100%;font-size:12px;color:var(--muted)}
.upload-status.failed{color:#b3261e}
.msg-files{display:flex;flex-direction:column;gap:4px;max-width:100%}
.msg-image{display:block;max-width:100%}
.msg-image img{display:block;max-width:100%;max-height:240px;border-radius:10px;background:var(--bot)}
.msg-visitor .msg-files{align-items:flex-end}
.file-image img{display:block;max-width:min(240px,100%);max-height:240px;border-radius:10px;border:1px solid var(--line);background:var(--bot)}
.file-image img:not([src]){width:120px;height:90px}
.file-doc{display:inline-block;padding:8px 12px;border-radius:14px;border:1px solid var(--line);background:#fff;color:var(--accent);overflow-wrap:anywhere}
@media (max-width:480px){
.root{bottom:12px;right:12px}.root.left{left:12px}
.root.open .launcher{display:none}
.root.open{top:0;left:0;right:0;bottom:0}
.panel{position:fixed;inset:0;width:100%;height:100%;max-height:none;border-radius:0}
}
`;
