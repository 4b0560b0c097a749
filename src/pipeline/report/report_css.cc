// The report's stylesheet, inlined into every report.html. Colors of the tags match the
// annotated image (annotate.h).
#include "pipeline/report/html.h"

namespace corgi::pipeline::report_internal {

const char kReportCss[] = R"css(
:root {
  --bg: #f4f5f7; --card: #ffffff; --ink: #1d2330; --muted: #6b7280; --line: #e3e6eb;
  --accent: #2f6fde; --object: rgb(0,200,0); --text: rgb(230,0,0); --neutral: rgb(40,110,230);
  --key: rgb(255,210,0); --err-bg: #fdecec; --err: #c62828; --warn-bg: #fff7e0; --warn: #8a5a00;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif;
}
.page { max-width: 1440px; margin: 0 auto; padding: 20px 28px 40px; }
h1, h2 { margin: 0; }
h2 { font-size: 13px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase;
     color: var(--muted); margin-bottom: 12px; }
p { margin: 0 0 6px; }
.muted { color: var(--muted); font-style: italic; }
.small { font-size: 12px; }
.mono, .box { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.top { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between;
       gap: 8px 24px; padding-bottom: 14px; border-bottom: 1px solid var(--line); margin-bottom: 20px; }
.brand { font-weight: 800; font-size: 20px; letter-spacing: -.01em; }
.brand span { font-weight: 400; color: var(--muted); margin-left: 6px; font-size: 15px; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; font-size: 13px; }
.meta span { overflow-wrap: anywhere; }
.meta b { font-weight: 600; color: var(--muted); margin-right: 4px; }
.error { background: var(--err-bg); border-left: 5px solid var(--err); border-radius: 8px;
         padding: 14px 18px; margin-bottom: 18px; }
.error h2 { color: var(--err); margin-bottom: 4px; }
.error p { white-space: pre-wrap; font-weight: 600; }
.warnings { background: var(--warn-bg); border-left: 5px solid #e0a800; border-radius: 8px;
            padding: 12px 18px; margin-bottom: 18px; color: var(--warn); }
.warnings h2 { color: var(--warn); margin-bottom: 4px; }
.warnings ul { margin: 0; padding-left: 20px; }
.qa { margin-bottom: 22px; }
.label { font-size: 12px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase;
         color: var(--muted); margin-bottom: 2px; }
.question { font-size: 24px; line-height: 1.3; font-weight: 600; margin-bottom: 16px; }
.answer { background: var(--card); border-radius: 12px; padding: 18px 22px;
          border-left: 6px solid var(--accent); box-shadow: 0 1px 3px rgba(16,24,40,.08); }
.answer-text { font-size: 22px; font-weight: 700; line-height: 1.35; margin-bottom: 8px;
               white-space: pre-wrap; }
.explanation { font-size: 16px; color: #374151; white-space: pre-wrap; margin: 0; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr); gap: 20px; }
@media (min-width: 1000px) {
  .columns { grid-template-columns: minmax(0, 1.05fr) minmax(0, 1fr); align-items: start; }
}
.col { display: flex; flex-direction: column; gap: 20px; min-width: 0; }
.card { background: var(--card); border-radius: 12px; padding: 18px 20px;
        box-shadow: 0 1px 3px rgba(16,24,40,.08); }
figure { margin: 0; }
img.annotated, img.original { display: block; width: 100%; height: auto; border-radius: 6px;
                              border: 1px solid var(--line); }
details > summary { cursor: pointer; color: var(--accent); font-weight: 600; margin-top: 12px; }
details.cot > summary { list-style: none; margin-top: 0; }
details.cot > summary::-webkit-details-marker { display: none; }
details.cot > summary h2 { display: inline-block; }
details.cot > summary h2::after { content: " ▾"; }
details.cot:not([open]) > summary h2::after { content: " ▸"; }
details img.original { margin-top: 10px; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 0;
          margin: 10px 0 0; font-size: 13px; color: #374151; }
.legend .swatch { display: inline-block; width: 14px; height: 11px; border: 3px solid;
                  border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.prose { white-space: pre-wrap; font-size: 14.5px; color: #374151; max-height: 420px;
         overflow: auto; background: #fafbfc; border: 1px solid var(--line); border-radius: 8px;
         padding: 12px 14px; }
.count { display: inline-block; min-width: 22px; padding: 0 7px; margin-left: 6px; border-radius: 11px;
         background: #eef1f5; color: var(--ink); text-align: center; letter-spacing: 0; }
.step, .evidence, .key { display: flex; gap: 14px; padding: 12px 0; border-top: 1px solid var(--line); }
.step:first-of-type, .evidence:first-of-type, .key:first-of-type { border-top: 0; padding-top: 0; }
.step .num { flex: none; width: 30px; height: 30px; border-radius: 50%; background: #eef1f5;
             font-weight: 700; display: flex; align-items: center; justify-content: center; }
.body { min-width: 0; flex: 1; }
.statement { font-weight: 600; }
.reason { color: #4b5563; font-size: 14px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 4px; }
.chip { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #eef1f5; color: #374151;
        text-decoration: none; white-space: nowrap; }
a.chip:hover { background: #dde3ec; }
.chip-object { background: #e3f7e3; color: #116611; font-weight: 600; }
.chip-text { background: #fde5e5; color: #a10f0f; font-weight: 600; }
.chip-reasoning { background: #e6eefc; color: #1f4fa8; font-weight: 600; }
.chip-source { background: transparent; border: 1px solid var(--line); }
.tag { font: 700 12px/1.4 "DejaVu Sans", sans-serif; padding: 2px 7px; border-radius: 4px; }
.tag-object { background: var(--object); color: #000; }
.tag-text { background: var(--text); color: #fff; }
.tag-key { background: var(--key); color: #000; }
.warn { color: var(--warn); background: var(--warn-bg); font-size: 13px; padding: 3px 8px;
        border-radius: 6px; display: inline-block; margin: 2px 0; }
.crop { flex: none; width: 150px; }
img.thumb { display: block; max-width: 150px; max-height: 150px; width: auto; height: auto;
            border-radius: 6px; border: 1px solid var(--line); background: #fafbfc;
            align-self: flex-start; }
.evidence.wide, .key.wide { flex-direction: column; gap: 8px; }
.evidence.wide .crop { width: auto; }
.wide img.thumb { max-width: 100%; max-height: 120px; }
.evidence-text { white-space: pre-wrap; font-size: 14.5px; margin: 4px 0 6px; overflow-wrap: anywhere; }
.box { font-size: 12px; color: var(--muted); margin: 0; }
.stats { display: grid; grid-template-columns: minmax(0, 1fr); gap: 24px; margin-top: 20px; }
@media (min-width: 1000px) { .stats { grid-template-columns: minmax(0, 1.05fr) minmax(0, 1fr); } }
.timings { width: 100%; border-collapse: collapse; font-size: 14px; }
.timings th { text-align: left; font-weight: 600; padding: 4px 12px 4px 0; white-space: nowrap; width: 1%; }
.timings td { padding: 4px 0; }
.timings td.num { text-align: right; white-space: nowrap; padding-left: 12px; width: 1%;
                  font-variant-numeric: tabular-nums; }
.timings .bar span { display: block; height: 10px; border-radius: 5px; background: var(--accent);
                     min-width: 2px; opacity: .8; }
.counts { display: grid; grid-template-columns: 1fr auto; gap: 4px 16px; margin: 0; font-size: 14px; }
.counts dt { color: #374151; }
.counts dd { margin: 0; text-align: right; font-weight: 600; font-variant-numeric: tabular-nums; }
footer { margin-top: 24px; font-size: 12px; color: var(--muted); text-align: center; }
)css";

}  // namespace corgi::pipeline::report_internal
