package reports

import (
	"encoding/base64"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestUpdateIndexCoversEverySuite(t *testing.T) {
	dir := t.TempDir()
	report := suiteReport(t)
	rq, err := SuiteOf("rq", report)
	if err != nil {
		t.Fatal(err)
	}
	stem := filepath.Join(dir, "rq", rq.Specs[0].File)
	if err := WritePlots(stem, peaksOnALine(0), rq.Specs[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stem+".csv", []byte("t_seconds\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	celery := SuiteSummary{Suite: "celery", Description: "leakspec <celery>", Started: started, Succeeded: true,
		Specs: []SpecSummary{{Name: "a prefork pool", File: "a-prefork-pool", State: "passed", Verdict: "pass"}}}

	// Two suites that end at once, as go test ./... runs them, each update
	// the index; the last word must cover both.
	var wg sync.WaitGroup
	for _, s := range []SuiteSummary{rq, celery} {
		wg.Go(func() {
			if err := WriteSuiteSummary(dir, s); err != nil {
				t.Error(err)
			}
			if err := UpdateIndex(dir, started); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	all, err := ReadSummary(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Suites) != 2 || all.Suites[0].Suite != "celery" || all.Suites[1].Suite != "rq" {
		t.Fatalf("summary.json holds %+v, want celery and rq", all.Suites)
	}

	data, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "leakspec &lt;celery&gt;") {
		t.Error("the index does not escape the text it shows")
	}
	// html/template writes + as &#43; even in text; a browser shows a +.
	page := html.UnescapeString(string(data))
	for _, want := range []string{
		"<title>leakspec: 6 specs, 3 failed</title>",
		"the report job does not keep its rows",
		`<p class="verdict">fail: did not plateau within 24.0 MB</p>`,
		`<a href="rq/the-report-job-does-not-keep-its-rows.svg">svg</a>`,
		`<a href="rq/the-report-job-does-not-keep-its-rows.csv">csv</a>`,
		"<dt>peak</dt><dd>60.0 MB at 2.1 s</dd>",
		"<dt>rise of the peaks</dt><dd>+0.0 MB</dd>",
		"<dt>slope</dt><dd>0.0 MB/min (95 %: 0.0 to 0.0)</dd>",
		"<dt>budget</dt><dd>+24.0 MB</dd>",
		"<dt>baseline run's peak</dt><dd>60.0 MB, at most 72.0 MB</dd>",
		"Expected memory to plateau within 32.0 MB, but it kept growing",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the index does not hold %q", want)
		}
	}
	// Self-contained: the plot is in the page, and nothing is loaded from
	// elsewhere; links only point at the spec's files beside it.
	// The data: URI is read as written, not unescaped: a + of the base64
	// written as &#43; trips libxml2's HTML parser on real plots.
	images := regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)"`).FindAllStringSubmatch(string(data), -1)
	if len(images) != 1 {
		t.Fatalf("the index embeds %d plots, want the one that was drawn", len(images))
	}
	png, err := base64.StdEncoding.DecodeString(images[0][1])
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("the embedded plot is not a PNG (%v)", err)
	}
	if m := regexp.MustCompile(`(src|href)="(https?:|//|/)`).FindString(page); m != "" {
		t.Errorf("the index loads %s from elsewhere", m)
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		if out, err := exec.Command(xmllint, "--html", "--noout", filepath.Join(dir, IndexFile)).CombinedOutput(); err != nil {
			t.Errorf("libxml2 cannot parse the index as HTML: %v\n%s", err, out)
		}
	}
}

func TestUpdateIndexRefusesABrokenSuiteSummary(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rq.summary.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := UpdateIndex(dir, time.Now()); err == nil {
		t.Error("UpdateIndex left a broken suite summary out in silence")
	}
}
