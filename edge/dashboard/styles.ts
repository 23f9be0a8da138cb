/** The dashboard's stylesheet, served as is from /dashboard/app.css. */
export const styles = `
:root { --fg:#1d2330; --muted:#667085; --line:#e3e6ec; --bg:#f6f7f9; --ok:#157f3b; --bad:#b42318;
  --warn:#b54708; --run:#1d4ed8; --log-bg:#0f141c; --log-fg:#d7dde8; --row:16px; }
* { box-sizing: border-box; }
[hidden] { display:none !important; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; gap:24px; align-items:center; padding:10px 24px; background:#111827; color:#fff; }
header.top a { color:#cbd5e1; text-decoration:none; }
header.top a.brand { color:#fff; font-weight:700; }
header.top nav { display:flex; gap:16px; flex:1; }
header.top nav a.on { color:#fff; border-bottom:2px solid #fbbf24; }
header.top .signout button { background:none; border:1px solid #475569; color:#e2e8f0; }
main { padding:20px 24px; max-width:1400px; margin:0 auto; }
h1 { font-size:22px; margin:0 0 14px; } h2 { font-size:17px; margin:0; }
a { color:#1d4ed8; }
button, select, input { font:inherit; }
button { padding:5px 12px; border-radius:6px; border:1px solid #cbd5e1; background:#fff; cursor:pointer; }
button.primary { background:#1d4ed8; border-color:#1d4ed8; color:#fff; }
button.danger { color:var(--bad); border-color:#f1b0aa; }
button:disabled { opacity:.5; cursor:default; }
.muted { color:var(--muted); font-weight:normal; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin-bottom:16px; }
.login { max-width:420px; margin:60px auto; display:flex; flex-direction:column; gap:12px; }
.login h1, .login p { margin:0; }
.login label { display:flex; flex-direction:column; gap:4px; font-weight:600; }
.login input { padding:8px; border:1px solid #cbd5e1; border-radius:6px; }
.error { color:var(--bad); background:#fef3f2; border:1px solid #fecdca; border-radius:6px; padding:8px 10px; }
table.grid { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:10px; overflow:hidden; }
.grid th, .grid td { text-align:left; padding:7px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
.grid th { background:#f9fafb; font-weight:600; color:#344054; font-size:13px; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; background:#eef2f6; color:#344054; vertical-align:middle; }
.badge.online, .badge.succeeded { background:#dcfae6; color:var(--ok); }
.badge.offline { background:#f2f4f7; color:var(--muted); }
.badge.failed, .badge.timed_out, .badge.delivery_timed_out { background:#fee4e2; color:var(--bad); }
.badge.running, .badge.dispatched { background:#dbeafe; color:var(--run); }
.badge.cancelled, .badge.queued, .badge.stopped, .badge.waiting { background:#fef0c7; color:var(--warn); }
.chip { display:inline-block; padding:0 6px; margin:1px 3px 1px 0; border-radius:4px; background:#eef2f6; font-size:12px; }
.filters { display:flex; gap:16px; margin-bottom:12px; }
.filters label { display:flex; gap:6px; align-items:center; }
.worker-head { display:flex; justify-content:space-between; align-items:baseline; gap:12px; }
.install { display:flex; flex-wrap:wrap; gap:10px 16px; align-items:center; margin-top:10px; padding-top:10px; border-top:1px dashed var(--line); }
.install input[type=number] { width:70px; } .install input[type=text] { width:180px; }
.no { color:var(--bad); } .yes { color:var(--ok); }
.notice { background:#eff8ff; border:1px solid #b2ddff; border-radius:6px; padding:6px 10px; margin:8px 0; }
.job-head { display:flex; gap:16px; align-items:baseline; flex-wrap:wrap; }
.job-head h1 { margin-bottom:4px; }
#outcome { margin:10px 0; padding:10px 14px; border-radius:8px; }
#outcome.ok { background:#ecfdf3; border:1px solid #abefc6; }
#outcome.bad { background:#fef3f2; border:1px solid #fecdca; }
#outcome.neutral { background:#fffaeb; border:1px solid #fedf89; }
#outcome pre { margin:8px 0 0; background:var(--log-bg); color:var(--log-fg); padding:8px; border-radius:6px; overflow:auto; max-height:220px; font-size:12px; }
.steps { display:flex; flex-wrap:wrap; gap:6px; list-style:none; padding:0; margin:10px 0; }
.steps li { padding:3px 10px; border-radius:6px; background:#fff; border:1px solid var(--line); font-size:13px; }
.steps li.running { border-color:#93c5fd; background:#eff6ff; }
.steps li.ok { border-color:#abefc6; background:#ecfdf3; }
.steps li.failed { border-color:#fda29b; background:#fef3f2; font-weight:600; }
.log-bar { display:flex; gap:8px; align-items:center; margin:8px 0; }
.log-bar .spacer { flex:1; }
.log-bar input { padding:4px 8px; border:1px solid #cbd5e1; border-radius:6px; width:260px; }
.log-wrap { position:relative; }
.log { height:calc(100vh - 290px); min-height:300px; overflow:auto; background:var(--log-bg); color:var(--log-fg); border-radius:8px; position:relative; font:12px/var(--row) ui-monospace, "DejaVu Sans Mono", Menlo, monospace; contain:strict; }
#log-rows { position:absolute; top:0; left:0; right:0; will-change:transform; }
.ln { height:var(--row); white-space:pre; padding-right:12px; overflow:hidden; }
.ln .n { display:inline-block; width:64px; padding-right:10px; text-align:right; color:#4b5563; user-select:none; }
.ln.k1 { background:#2a1517; } .ln.k1 .n { color:#f97066; }
.ln.k1 .n::after { content:"!"; }
.ln.k2, .ln.k3 { color:#93c5fd; font-weight:700; } .ln.k4 { color:#fda29b; font-weight:700; background:#3b1214; }
.ln.hit { background:#3d3410; } .ln.cur { background:#7a5c00; } .ln.cur .n { color:#fff; }
#jump-end { position:absolute; right:22px; bottom:14px; background:#fbbf24; border-color:#f59e0b; font-weight:600; box-shadow:0 2px 6px rgba(0,0,0,.3); }
.progress { height:14px; background:#e5e7eb; border-radius:7px; overflow:hidden; max-width:700px; }
.progress { display:flex; }
.progress .seg { height:100%; display:block; }
.progress .seg.succeeded { background:var(--ok); } .progress .seg.failed { background:var(--bad); }
.progress .seg.cancelled { background:#f79009; } .progress .seg.running { background:#2e90fa; }
.progress.small { height:8px; max-width:180px; margin-top:4px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit, minmax(240px, 1fr)); gap:12px; margin-bottom:4px; }
.tile { margin-bottom:12px; padding:12px 14px; } .tile h2 { font-size:14px; margin-bottom:6px; }
.tile table { width:100%; border-collapse:collapse; } .tile td { padding:2px 0; } .tile td.n { text-align:right; font-weight:600; }
.old { color:var(--warn); font-weight:600; }
.legend { margin-top:4px; } .swatch { display:inline-block; width:10px; height:10px; border-radius:2px; }
header.top .who { color:#cbd5e1; font-size:13px; } .badge.role { background:#334155; color:#e2e8f0; }
.secret { display:flex; gap:8px; align-items:center; margin:6px 0; }
.secret code { background:#0f141c; color:#d7dde8; padding:6px 10px; border-radius:6px; font-size:12px; overflow-x:auto; white-space:nowrap; max-width:100%; }
.cache { margin:6px 0 0; font-size:13px; } .chip.cached { background:#dcfae6; color:var(--ok); }
.filters input[type=text], .filters input[type=number] { padding:4px 8px; border:1px solid #cbd5e1; border-radius:6px; }
.filters input[type=number] { width:110px; }
.filters.wrap { flex-wrap:wrap; } .filters .events { display:flex; gap:10px; }
#webhook-form input[name=url] { width:320px; }
.hook h2 { font-size:15px; } .hook .head { display:flex; gap:10px; align-items:baseline; justify-content:space-between; }
.badge.delivered { background:#dcfae6; color:var(--ok); } .badge.pending, .badge.delivering { background:#dbeafe; color:var(--run); }
.badge.revoked, .badge.expired, .badge.used_up { background:#f2f4f7; color:var(--muted); }
.a-b { font-weight:700; } .a-d { opacity:.7; } .a-i { font-style:italic; } .a-u { text-decoration:underline; }
.f0{color:#4b5563}.f1{color:#f97066}.f2{color:#47cd89}.f3{color:#fdb022}.f4{color:#53b1fd}.f5{color:#d692ff}.f6{color:#22d3ee}.f7{color:#e5e7eb}
.f8{color:#9ca3af}.f9{color:#fda29b}.f10{color:#75e0a7}.f11{color:#fec84b}.f12{color:#84caff}.f13{color:#e9d7fe}.f14{color:#67e8f9}.f15{color:#fff}
.b0{background:#111827}.b1{background:#7a271a}.b2{background:#085d3a}.b3{background:#7a2e0e}.b4{background:#1849a9}.b5{background:#5b21b6}.b6{background:#155e75}.b7{background:#d1d5db}
.b8{background:#374151}.b9{background:#b42318}.b10{background:#067647}.b11{background:#b54708}.b12{background:#1d4ed8}.b13{background:#7c3aed}.b14{background:#0e7490}.b15{background:#f9fafb}
`;
