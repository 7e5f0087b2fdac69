// The Reports page's rules, appended to the console's constructed stylesheet,
// and uPlot's own stylesheet (uplot/dist/uPlot.min.css 1.6.32, trimmed to
// what the charts use) so the library needs no <link> or <style> of its own.

const UPLOT_CSS = `
.uplot, .uplot *, .uplot *::before, .uplot *::after { box-sizing: border-box; }
.uplot { font-family: inherit; line-height: 1.5; width: min-content; }
.u-wrap { position: relative; user-select: none; }
.u-over, .u-under { position: absolute; }
.u-under { overflow: hidden; }
.uplot canvas { display: block; position: relative; width: 100%; height: 100%; }
.u-axis { position: absolute; }
.u-legend { font-size: 12px; margin: auto; text-align: center; }
.u-inline { display: block; }
.u-inline * { display: inline-block; }
.u-inline tr { margin-right: 16px; }
.u-legend th { font-weight: 600; }
.u-legend th > * { vertical-align: middle; display: inline-block; }
.u-legend .u-marker { width: 1em; height: 1em; margin-right: 4px; background-clip: padding-box !important; }
.u-inline.u-live th::after { content: ":"; vertical-align: middle; }
.u-inline:not(.u-live) .u-value { display: none; }
.u-series > * { padding: 4px; }
.u-series th { cursor: pointer; }
.u-legend .u-off > * { opacity: 0.3; }
.u-select { background: rgba(0,0,0,0.07); position: absolute; pointer-events: none; }
.u-cursor-x, .u-cursor-y { position: absolute; left: 0; top: 0; pointer-events: none; will-change: transform; }
.u-hz .u-cursor-x, .u-vt .u-cursor-y { height: 100%; border-right: 1px dashed #607D8B; }
.u-hz .u-cursor-y, .u-vt .u-cursor-x { width: 100%; border-bottom: 1px dashed #607D8B; }
.u-cursor-pt { position: absolute; top: 0; left: 0; border-radius: 50%; border: 0 solid; pointer-events: none; will-change: transform; background-clip: padding-box !important; }
.u-axis.u-off, .u-select.u-off, .u-cursor-x.u-off, .u-cursor-y.u-off, .u-cursor-pt.u-off { display: none; }
`;

export const REPORTS_CSS = `
/* reports (in place of the chats, like the admin section) */
.topbar .reports-toggle { white-space: nowrap; flex: none; }
.topbar .reports-toggle[aria-pressed="true"] { background: #f2f6f4; color: #24443b; font-weight: 600; }
.body.show-reports .desk, .body.show-reports .admin:not(.reports) { display: none; }
.reports .report-controls { background: #fff; border: 1px solid #c5d0cc; border-radius: 10px; padding: 8px 12px; margin: 10px 0 6px; }
.reports .ranges { display: flex; gap: 0; }
.reports .ranges button { border-radius: 0; margin-left: -1px; }
.reports .ranges button:first-child { border-radius: 6px 0 0 6px; margin-left: 0; }
.reports .ranges button:last-child { border-radius: 0 6px 6px 0; }
.reports .ranges button[aria-pressed="true"] { background: #24443b; border-color: #24443b; color: #fff; font-weight: 600; }
.reports .custom-range, .reports .filters { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: flex-end; }
.reports .csv { margin-left: auto; color: #1d5a8a; font-weight: 600; padding: 4px 0; }
.reports .period { margin: 4px 0 8px; }
.reports .report-block { margin: 12px 0; }
.reports .kpis { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(max(170px, 18%), 1fr)); gap: 8px; }
.reports .kpi { background: #fff; border: 1px solid #cfd8d5; border-radius: 10px; padding: 8px 10px; display: grid; gap: 2px; align-content: start; }
.reports .kpi-name { font-size: 12px; color: #4a5a55; font-weight: 600; }
.reports .kpi-value { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; color: #1f2a2a; }
.reports .kpi .extra, .reports .kpi .before { font-size: 11px; color: #5a6b66; }
.reports .kpi-change { display: flex; flex-wrap: wrap; gap: 2px 8px; align-items: baseline; font-size: 12px; }
.reports .delta { font-weight: 700; font-variant-numeric: tabular-nums; }
.reports .delta.good { color: #1f7a45; }
.reports .delta.bad { color: #b42318; }
.reports .delta.neutral, .reports .delta.none { color: #4a5a55; }
.reports .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 10px; }
.reports .chart { margin: 0; background: #fff; border: 1px solid #cfd8d5; border-radius: 10px; padding: 8px 10px; min-width: 0; }
.reports .chart figcaption { font-weight: 600; font-size: 13px; color: #24443b; margin-bottom: 4px; }
.reports .chart-plot { width: 100%; min-height: 40px; overflow: hidden; }
.reports .chart-table summary { cursor: pointer; color: #1d5a8a; font-size: 12px; margin-top: 4px; }
.reports .chart-table table { font-size: 12px; }
.reports .report-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 16px; align-items: start; }
.reports .report-grid > :first-child { grid-column: 1 / -1; }
.reports .report-grid .report-block, .reports .simulator { background: #fff; border: 1px solid #cfd8d5; border-radius: 10px; padding: 8px 12px; }
.reports .report-block h3 { margin-top: 0; }
.reports .table-wrap { overflow-x: auto; }
.reports .report-table { width: 100%; }
.reports .report-table td { white-space: nowrap; }
.reports .report-table td:not(:first-child), .reports .report-table th:not(:first-child) { text-align: right; }
.reports button.link { border: 0; background: none; padding: 0; color: #1d5a8a; text-decoration: underline; text-align: left; }
.reports .bars { width: 100%; }
.reports .bars th { white-space: nowrap; font-weight: 400; }
.reports .bars td:last-child { text-align: right; width: 4em; }
.reports .bar-cell { width: 100%; }
.reports .bar { display: block; height: 14px; min-width: 1px; background: #b7791f; border-radius: 3px; }
.reports .simulator .chart { border: 0; padding: 0; }
@media (max-width: 899px) {
  .body.show-reports.show-side .reports { display: none; }
  .reports .charts, .reports .report-grid { grid-template-columns: 1fr; }
}
${UPLOT_CSS}`;
