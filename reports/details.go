package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"path/filepath"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// DetailsPath returns where WriteIndex writes the page of a spec's details:
// <dir>/<suite>/<spec>.html, beside the spec's other files.
func DetailsPath(dir, suite, file string) string {
	return filepath.Join(dir, suite, file+".html")
}

type detailsPage struct {
	Suite, Name, Verdict, Outcome, Class, Failure string
	Labels                                        []string
	Plot, SVG                                     string
	Figures                                       [][2]string
	Judgments                                     []Judgment
	Baseline                                      *Comparison
	Checks                                        [][5]string
	Files                                         []string
	Heap                                          *Heap
}

// writeDetails writes the page of one spec: its verdict, plot, failure,
// what holds a Python worker's memory, figures, judgments, baseline
// comparison, and a link to each of its files.
func writeDetails(dir string, suite SuiteSummary, spec SpecSummary, files []string) error {
	outcome := Outcome(spec)
	page := detailsPage{Suite: suite.Suite, Name: spec.Name, Verdict: spec.Verdict, Outcome: outcome,
		Class: outcomeClass(outcome), Failure: spec.Failure, Labels: spec.Labels, Judgments: spec.Judgments,
		Baseline: spec.Baseline, Figures: figureList(spec), Files: files, Heap: spec.Heap}
	for _, name := range files {
		switch name {
		case spec.File + ".png":
			page.Plot = name
		case spec.File + ".svg":
			page.SVG = name
		}
	}
	if c := spec.Baseline; c != nil {
		for _, check := range c.Checks {
			format := megabytes
			if check.Figure == "slope" {
				format = perMinute
			}
			verdict := "within"
			if check.Regressed {
				verdict = "regressed"
			}
			page.Checks = append(page.Checks, [5]string{check.Figure, format(check.Now), format(check.Reference),
				format(check.Allowed), verdict})
		}
	}
	var buf bytes.Buffer
	if err := detailsTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("write details: %w", err)
	}
	if err := writeAtomically(DetailsPath(dir, suite.Suite, spec.File), buf.Bytes()); err != nil {
		return fmt.Errorf("write details: %w", err)
	}
	return nil
}

// figureList lays out a spec's figures as names and values.
func figureList(spec SpecSummary) [][2]string {
	var out [][2]string
	add := func(name, value string) { out = append(out, [2]string{name, value}) }
	f := spec.Figures
	if f == nil || f.Samples == 0 {
		return nil
	}
	add("baseline", bytesize.Format(f.Baseline))
	add("peak", fmt.Sprintf("%s at %.1f s", bytesize.Format(f.Peak), f.PeakAtS))
	add("growth", "+"+bytesize.Format(f.Growth))
	if f.Slope != nil {
		add("early / late level of the peaks", bytesize.Format(uint64(f.EarlyLevel))+" / "+bytesize.Format(uint64(f.LateLevel)))
		add("rise of the peaks", fmt.Sprintf("%s (noise ± %s)", bytesize.FormatSigned(int64(math.Round(f.Rise))), bytesize.Format(uint64(f.RiseMargin))))
		slope := perMinute(*f.Slope)
		if f.SlopeLower != nil && f.SlopeUpper != nil {
			slope += fmt.Sprintf(" (%g %%: %s to %s)", math.Round(f.Confidence*1000)/10, mbValue(*f.SlopeLower), mbValue(*f.SlopeUpper))
		}
		add("slope", slope)
	}
	if budget, limit := growthBudget(spec.Judgments); budget > 0 || limit > 0 {
		if budget > 0 {
			add("budget", "+"+bytesize.Format(budget))
		}
		if series := judgedSeries(spec.Judgments); series != "" && budget > 0 {
			// The figures stay the tree's RSS, comparable from spec to spec;
			// the verdict and the plot's checks are on the series judged.
			add("judged on", string(series)+"; the figures above are of the tree's RSS")
		}
		if limit > 0 {
			add("limit", bytesize.Format(limit))
		}
	}
	if f.PSSPeak > 0 {
		add("PSS / USS peak", bytesize.Format(f.PSSPeak)+" / "+bytesize.Format(f.USSPeak))
	}
	add("warm-up", fmt.Sprintf("%.1f s", f.WarmUpS))
	add("windows", fmt.Sprintf("%d of %.1f s, %d with a peak", f.Windows, f.WindowS, f.Peaks))
	add("samples", fmt.Sprintf("%d over %.1f s", f.Samples, f.DurationS))
	if f.PlannedS > 0 {
		add("planned", fmt.Sprintf("at most %.1f s", f.PlannedS))
	}
	if f.Events > 0 {
		add("events", fmt.Sprint(f.Events))
	}
	if f.Aborted != "" {
		add("stopped", f.Aborted)
	}
	return out
}

var detailsTemplate = template.Must(template.New("details").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Outcome}}: {{.Name}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.2em; color: #222; max-width: 76em; }
h1 { font-size: 1.25em; }
.outcome { font-weight: bold; }
.bad .outcome { color: #cf222e; } .unsure .outcome { color: #9a6700; } .caught .outcome { color: #8250df; }
.good .outcome { color: #1a7f37; } .quiet .outcome { color: #777; }
img { max-width: 100%; border: 1px solid #eee; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dt { color: #666; } dd { margin: 0; }
table { border-collapse: collapse; } th, td { border-top: 1px solid #ddd; padding: .3em .6em; text-align: left; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .85em; }
.caveat { color: #9a6700; margin: .3em 0; }
</style>
</head>
<body class="{{.Class}}">
<p><a href="../index.html">&larr; all specs</a></p>
<h1>{{.Name}}</h1>
<p><span class="outcome">{{.Outcome}}</span> &middot; {{.Verdict}} &middot; suite {{.Suite}}{{range .Labels}} &middot; {{.}}{{end}}</p>
{{if .Plot}}<p><a href="{{if .SVG}}{{.SVG}}{{else}}{{.Plot}}{{end}}"><img src="{{.Plot}}" alt="memory of {{.Name}} over time"></a></p>{{end}}
{{if .Failure}}<h2>Failure</h2>
<pre>{{.Failure}}</pre>{{end}}
{{if .Heap}}<h2>What holds the memory</h2>
<pre class="heap">{{.Heap.Text}}</pre>{{if not .Heap.Traced}}<p>The heap was not traced: only the GC diagnosis is known. Trace it with <code>fixtures.TraceHeap()</code>, the label <code>trace-heap</code> or <code>LEAKSPEC_TRACE_HEAP=1</code>.</p>{{end}}{{end}}
{{if .Figures}}<h2>Figures</h2>
<dl>{{range .Figures}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>{{end}}
{{if .Judgments}}<h2>Judgments</h2>
<ul>{{range .Judgments}}<li>memory should {{.Expectation}}{{with .Series}}, judged on {{.}}{{end}}: {{if .Met}}it did{{else}}it did not{{end}}{{if .Leak}} (a known leak, expected to be caught){{end}}{{with .Caveat}}<p class="caveat">{{.}}</p>{{end}}</li>{{end}}</ul>{{end}}
{{if .Baseline}}<h2>Baseline comparison</h2>
<p>Against {{.Baseline.Baseline}}, {{len .Baseline.History}} earlier runs.</p>
<table><tr><th>figure</th><th>now</th><th>baseline</th><th>allowed</th><th></th></tr>
{{range .Checks}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td><td>{{index . 3}}</td><td>{{index . 4}}</td></tr>{{end}}
</table>{{end}}
<h2>Files</h2>
{{if .Files}}<ul>{{range .Files}}<li><a href="{{.}}">{{.}}</a></li>{{end}}</ul>{{else}}<p>This spec left no files.</p>{{end}}
</body>
</html>
`))
