package reports

// indexHTML is the index page. Its style and script are inline, so the page
// is one file that opens from file:// with no network; the script only sorts
// and filters rows the page already holds, in the order failures first,
// which is how the page reads without it. Filters also come from the URL's
// fragment (index.html#outcome=failed&suite=rq), so a link can open the
// page filtered.
const indexHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leakspec: {{.Specs}} specs{{if .Failed}}, {{.Failed}} failed{{end}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.2em; color: #222; }
h1 { margin: 0 0 .3em 0; font-size: 1.4em; }
.meta { color: #555; margin: 0 0 1em 0; }
.totals { display: flex; flex-wrap: wrap; gap: .6em; margin: 0 0 1em 0; padding: 0; list-style: none; }
.totals li { border: 1px solid #ccc; border-radius: 6px; padding: .4em .8em; min-width: 6.5em; }
.totals .n { display: block; font-size: 1.6em; font-weight: bold; }
.totals .zero { opacity: .55; }
form { margin: 0 0 .8em 0; }
form label { margin-right: 1em; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { border-top: 1px solid #ddd; padding: .35em .5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; position: sticky; top: 0; white-space: nowrap; }
th button { all: unset; cursor: pointer; }
th button::after { content: " \2195"; color: #999; }
th[aria-sort=ascending] button::after { content: " \2191"; color: #222; }
th[aria-sort=descending] button::after { content: " \2193"; color: #222; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.files { font-size: .85em; min-width: 8em; }
td.spec { min-width: 16em; }
.outcome { font-weight: bold; white-space: nowrap; }
.bad .outcome, .bad .n { color: #cf222e; }
.unsure .outcome, .unsure .n { color: #9a6700; }
.caught .outcome, .caught .n { color: #8250df; }
.good .outcome, .good .n { color: #1a7f37; }
.quiet .outcome, .quiet .n, tr.quiet { color: #777; }
.verdict { color: #555; font-size: .9em; }
.heap { color: #555; font-size: .8em; font-family: monospace; white-space: pre-wrap; }
.caveat { color: #9a6700; font-size: .85em; }
.label { display: inline-block; background: #eef; border-radius: 3px; padding: 0 .3em; margin: 0 .2em .1em 0; font-size: .85em; }
tr[hidden] { display: none; }
footer { margin-top: 1.5em; color: #555; font-size: .9em; }
</style>
</head>
<body>
<h1>leakspec report</h1>
<p class="meta">{{.Specs}} specs in {{len .Suites}} {{if eq (len .Suites) 1}}suite{{else}}suites{{end}}{{if .Started}}, started {{.Started}}{{end}}, run time {{.RunTime}}; written {{.Generated}}.</p>
<ul class="totals" id="totals">
{{range .Totals}}<li class="{{.Class}}{{if not .Count}} zero{{end}}" data-outcome="{{.Outcome}}"><span class="n">{{.Count}}</span>{{.Outcome}}</li>
{{end}}<li><span class="n">{{.RunTime}}</span>run time</li>
</ul>
<form id="filters" hidden>
<label>outcome <select id="f-outcome"><option value="">all</option>{{range .Outcomes}}<option>{{.}}</option>{{end}}</select></label>
<label>suite <select id="f-suite"><option value="">all</option>{{range .Suites}}<option>{{.Name}}</option>{{end}}</select></label>
<label>label <select id="f-label"><option value="">all</option>{{range .Labels}}<option>{{.}}</option>{{end}}</select></label>
<span id="shown"></span>
</form>
<table id="specs">
<thead><tr>
<th data-type="rank"><button type="button">outcome</button></th>
<th data-type="text"><button type="button">suite</button></th>
<th data-type="text"><button type="button">spec</button></th>
{{range columns}}<th data-type="num" data-column="{{index . 0}}"><button type="button">{{index . 1}}</button></th>{{end}}
<th>files</th>
</tr></thead>
<tbody>
{{range .Rows}}<tr class="{{.Class}}" data-outcome="{{.Outcome}}" data-suite="{{.Suite}}" data-labels="{{join .Labels " "}}" data-order="{{.Order}}">
<td class="outcome" data-key="{{.Rank}}">{{.Outcome}}</td>
<td>{{.Suite}}</td>
<td class="spec"><a href="{{.Details}}">{{.Name}}</a>{{if and (ne .Verdict "pass") (ne .Verdict "skipped")}}<div class="verdict">{{.Verdict}}</div>{{end}}{{if .Heap}}<div class="heap">{{.Heap}}</div>{{end}}{{if .StillRising}}<div class="caveat">passed, but memory was still rising when the run ended: a longer load may fail it</div>{{end}}{{range .Labels}}<span class="label">{{.}}</span>{{end}}</td>
{{range .Cells}}<td class="num" data-key="{{.SortKey}}">{{.Text}}</td>{{end}}
<td class="files">{{if .Plot}}<a href="{{.Plot}}">plot</a> {{end}}{{range .Files}}<a href="{{index . 0}}">{{index . 1}}</a> {{end}}</td>
</tr>
{{end}}</tbody>
</table>
<footer>Suite files: {{range .Suites}}{{.Name}} ({{.Description}}, {{if .Succeeded}}passed{{else}}failed{{end}}){{range .Files}} <a href="{{.}}">{{.}}</a>{{end}}; {{end}}<a href="summary.json">summary.json</a>.</footer>
<script>
(function () {
  var table = document.getElementById("specs");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var form = document.getElementById("filters");
  var pick = { outcome: document.getElementById("f-outcome"), suite: document.getElementById("f-suite"), label: document.getElementById("f-label") };
  form.hidden = false;

  function apply() {
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!pick.outcome.value || r.dataset.outcome === pick.outcome.value) &&
        (!pick.suite.value || r.dataset.suite === pick.suite.value) &&
        (!pick.label.value || (" " + r.dataset.labels + " ").indexOf(" " + pick.label.value + " ") >= 0);
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    document.getElementById("shown").textContent = shown + " of " + rows.length + " specs shown";
    var parts = [];
    Object.keys(pick).forEach(function (k) { if (pick[k].value) { parts.push(k + "=" + encodeURIComponent(pick[k].value)); } });
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname);
  }
  function fromHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      var k = kv.slice(0, i), v = decodeURIComponent(kv.slice(i + 1));
      if (pick[k]) { pick[k].value = v; }
    });
  }
  Object.keys(pick).forEach(function (k) { pick[k].addEventListener("change", apply); });
  Array.prototype.forEach.call(document.querySelectorAll("#totals li[data-outcome]"), function (li) {
    li.style.cursor = "pointer";
    li.addEventListener("click", function () {
      pick.outcome.value = pick.outcome.value === li.dataset.outcome ? "" : li.dataset.outcome;
      apply();
    });
  });

  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var down = th.getAttribute("aria-sort") === "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "descending" : "ascending");
      var type = th.dataset.type;
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col], c;
        if (type === "text") {
          c = x.textContent.localeCompare(y.textContent);
        } else {
          var p = x.dataset.key, q = y.dataset.key;
          // A spec without the figure sorts last either way.
          if (p === "" || q === "") { return (p === "") - (q === ""); }
          c = parseFloat(p) - parseFloat(q);
        }
        return (down ? -c : c) || (a.dataset.order - b.dataset.order);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  fromHash();
  apply();
})();
</script>
</body>
</html>
`
