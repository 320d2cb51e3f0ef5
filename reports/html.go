package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// WriteIndex writes the run's HTML index to <dir>/index.html: one
// self-contained file with a row per spec of every suite in s, giving its
// verdict, its figures, its plot (the PNG, embedded as a data: URI, so the
// file can be mailed or attached as it is) and links to its CSV, log and
// SVG, which sit beside it in the report directory.
func WriteIndex(dir string, s Summary, generated time.Time) error {
	page := indexPage{Generated: generated.Format("2006-01-02 15:04:05 MST")}
	for _, suite := range s.Suites {
		section := indexSuite{Name: suite.Suite, Description: suite.Description, Succeeded: suite.Succeeded,
			Started: suite.Started.Local().Format("2006-01-02 15:04:05"), RunTime: fmt.Sprintf("%.1f s", suite.RunTimeS)}
		for _, spec := range suite.Specs {
			row, err := indexRowOf(dir, suite.Suite, spec)
			if err != nil {
				return err
			}
			section.Rows = append(section.Rows, row)
			page.Specs++
			if row.Class == "bad" {
				page.Failed++
			}
		}
		page.Suites = append(page.Suites, section)
	}
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := writeAtomically(filepath.Join(dir, IndexFile), buf.Bytes()); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// lockFile serialises UpdateIndex between suites that finish together, as
// go test ./... runs them: each rewrites the whole summary and index.
const lockFile = ".leakspec.lock"

// UpdateIndex gathers every suite summary in dir into <dir>/summary.json and
// writes <dir>/index.html over them. Each suite of a run calls it when it
// ends, so after the last one both files cover the whole run; a lock on the
// directory keeps two suites that end together from overwriting each
// other's view.
//
// Suites of an earlier run whose summaries are still in dir are covered too,
// with their own start times, so a run of one suite keeps the others' last
// results in view. Empty the directory to start afresh (CI starts with none).
func UpdateIndex(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	all, err := CollectSummaries(dir)
	if err != nil {
		return err
	}
	if err := WriteSummary(filepath.Join(dir, SummaryFile), all); err != nil {
		return err
	}
	return WriteIndex(dir, all, now)
}

type indexPage struct {
	Generated     string
	Specs, Failed int
	Suites        []indexSuite
}

type indexSuite struct {
	Name, Description, Started, RunTime string
	Succeeded                           bool
	Rows                                []indexRow
}

type indexRow struct {
	Name, Verdict, Class, Failure string
	Figures                       [][2]string
	// Plot is the img's src attribute, the PNG as a data: URI. It is
	// passed as a whole attribute because html/template would otherwise
	// write every + of the base64 as &#43;, which libxml2's HTML parser
	// chokes on in an attribute this long; base64 holds nothing that needs
	// escaping.
	Plot  template.HTMLAttr
	Links [][2]string
}

// indexRowOf lays out one spec's row.
func indexRowOf(dir, suite string, spec SpecSummary) (indexRow, error) {
	row := indexRow{Name: spec.Name, Verdict: spec.Verdict, Failure: spec.Failure, Class: "good"}
	switch {
	case strings.HasPrefix(spec.Verdict, VerdictSkipped):
		row.Class = "quiet"
	case spec.State != "passed":
		row.Class = "bad"
	}
	if f := spec.Figures; f != nil {
		add := func(name, value string) { row.Figures = append(row.Figures, [2]string{name, value}) }
		add("baseline", bytesize.Format(f.Baseline))
		add("peak", fmt.Sprintf("%s at %.1f s", bytesize.Format(f.Peak), f.PeakAtS))
		add("growth", "+"+bytesize.Format(f.Growth))
		if f.Slope != nil {
			add("rise of the peaks", bytesize.FormatSigned(int64(math.Round(f.Rise))))
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
			if limit > 0 {
				add("limit", bytesize.Format(limit))
			}
		}
		if f.PSSPeak > 0 {
			add("PSS / USS peak", bytesize.Format(f.PSSPeak)+" / "+bytesize.Format(f.USSPeak))
		}
		add("samples", fmt.Sprintf("%d over %.1f s", f.Samples, f.DurationS))
		if f.Events > 0 {
			add("events", fmt.Sprint(f.Events))
		}
	}
	if cmp := spec.Baseline; cmp != nil {
		for _, c := range cmp.Checks {
			value := fmt.Sprintf("%s, at most %s", megabytes(c.Reference), megabytes(c.Allowed))
			if c.Figure == "slope" {
				value = fmt.Sprintf("%s, at most %s", perMinute(c.Reference), perMinute(c.Allowed))
			}
			row.Figures = append(row.Figures, [2]string{"baseline run's " + c.Figure, value})
		}
	}
	base := filepath.Join(suite, spec.File)
	if data, err := os.ReadFile(filepath.Join(dir, base+".png")); err == nil {
		row.Plot = template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(data) + `"`)
	} else if !os.IsNotExist(err) {
		return indexRow{}, fmt.Errorf("write index: %w", err)
	}
	for _, ext := range []string{"svg", "png", "csv", "log"} {
		if _, err := os.Stat(filepath.Join(dir, base+"."+ext)); err == nil {
			row.Links = append(row.Links, [2]string{ext, filepath.ToSlash(base + "." + ext)})
		}
	}
	return row, nil
}

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>leakspec: {{.Specs}} specs{{if .Failed}}, {{.Failed}} failed{{end}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border-top: 1px solid #ccc; padding: .6em; vertical-align: top; text-align: left; }
td.figures { white-space: nowrap; font-size: .9em; }
td.figures dt { color: #666; }
td.figures dd { margin: 0 0 .3em 0; }
.verdict { font-weight: bold; }
.good .verdict { color: #1a7f37; }
.bad .verdict { color: #cf222e; }
.quiet .verdict { color: #666; }
img { width: 720px; max-width: 60vw; }
pre { font-size: .8em; white-space: pre; overflow-x: auto; max-width: 60vw; }
</style>
</head>
<body>
<h1>leakspec report</h1>
<p>{{.Specs}} specs, {{if .Failed}}{{.Failed}} failed{{else}}none failed{{end}}; written {{.Generated}}.</p>
{{range .Suites}}
<h2>{{.Name}} <small>({{.Description}}, started {{.Started}}, {{.RunTime}}, {{if .Succeeded}}passed{{else}}failed{{end}})</small></h2>
<table>
<tr><th>spec</th><th>figures</th><th>memory over time</th></tr>
{{range .Rows}}<tr class="{{.Class}}">
<td><p>{{.Name}}</p><p class="verdict">{{.Verdict}}</p>
<p>{{range .Links}}<a href="{{index . 1}}">{{index . 0}}</a> {{end}}</p></td>
<td class="figures"><dl>{{range .Figures}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl></td>
<td>{{if .Plot}}<img {{.Plot}} alt="memory of {{.Name}}">{{end}}
{{if .Failure}}<details><summary>failure</summary><pre>{{.Failure}}</pre></details>{{end}}</td>
</tr>
{{end}}</table>
{{end}}
</body>
</html>
`))
