package reports

import (
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	if err := WriteJUnit(dir, "rq", report); err != nil {
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
		`<li class="bad" data-outcome="failed"><span class="n">3</span>failed</li>`,
		`<li class="quiet" data-outcome="skipped"><span class="n">1</span>skipped</li>`,
		`<a href="rq/the-report-job-does-not-keep-its-rows.html">the report job does not keep its rows</a>`,
		`<div class="verdict">fail: did not plateau within 24.0 MB</div>`,
		`<span class="label">owner:reports</span>`,
		`<a href="rq/the-report-job-does-not-keep-its-rows.png">plot</a>`,
		`<a href="rq/the-report-job-does-not-keep-its-rows.csv">csv</a>`,
		`<td class="num" data-key="60">60.0 MB</td>`,
		`<td class="num" data-key="24">+24.0 MB</td>`,
		`<a href="rq.junit.xml">rq.junit.xml</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the index does not hold %q", want)
		}
	}
	// Failures first: the first row is a failed spec, the passed ones come
	// after every failed one, and the skipped one last.
	outcomes := regexp.MustCompile(`<tr class="[a-z]+" data-outcome="([a-z ]+)"`).FindAllStringSubmatch(page, -1)
	var order []string
	for _, m := range outcomes {
		order = append(order, m[1])
	}
	if want := []string{"failed", "failed", "failed", "passed", "passed", "skipped"}; !slices.Equal(order, want) {
		t.Errorf("the rows read %q, want %q", order, want)
	}
	// The plot is a file beside the page, not inlined; nothing is loaded
	// from elsewhere.
	if strings.Contains(page, "data:image") {
		t.Error("the index inlines a plot")
	}
	if m := regexp.MustCompile(`(src|href)="(https?:|//|/)`).FindString(page); m != "" {
		t.Errorf("the index loads %s from elsewhere", m)
	}

	details, err := os.ReadFile(DetailsPath(dir, "rq", rq.Specs[0].File))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<img src="the-report-job-does-not-keep-its-rows.png"`,
		"<dt>peak</dt><dd>60.0 MB at 2.1 s</dd>",
		"<dt>slope</dt><dd>0.0 MB/min (95 %: 0.0 to 0.0)</dd>",
		"<dt>budget</dt><dd>+24.0 MB</dd>",
		"<td>peak</td><td>60.0 MB</td><td>60.0 MB</td><td>72.0 MB</td><td>within</td>",
		`<li><a href="the-report-job-does-not-keep-its-rows.svg">the-report-job-does-not-keep-its-rows.svg</a></li>`,
	} {
		if !strings.Contains(html.UnescapeString(string(details)), want) {
			t.Errorf("the spec's page does not hold %q", want)
		}
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
