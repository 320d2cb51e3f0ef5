package reports

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSummaryRoundTrip(t *testing.T) {
	dir := t.TempDir()
	spec, err := SpecOf(specReport())
	if err != nil {
		t.Fatal(err)
	}
	rq := SuiteSummary{Suite: "rq", Description: "leakspec rq", Started: started, RunTimeS: 12.5, Succeeded: true, Specs: []SpecSummary{spec}}
	celery := SuiteSummary{Suite: "celery", Description: "leakspec celery", Started: started.Add(time.Minute)}
	for _, s := range []SuiteSummary{rq, celery} {
		if err := WriteSuiteSummary(dir, s); err != nil {
			t.Fatal(err)
		}
	}
	all, err := CollectSummaries(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Version: SummaryVersion, Suites: []SuiteSummary{celery, rq}}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("CollectSummaries =\n%+v\nwant, in suite order,\n%+v", all, want)
	}
	if err := WriteSummary(filepath.Join(dir, SummaryFile), all); err != nil {
		t.Fatal(err)
	}
	// A baseline may name the file or the report directory.
	for _, path := range []string{filepath.Join(dir, SummaryFile), dir} {
		back, err := ReadSummary(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, all) {
			t.Errorf("ReadSummary(%s) =\n%+v\nwant\n%+v", path, back, all)
		}
	}
	if got, ok := all.Spec("rq", spec.File); !ok || got.Name != spec.Name {
		t.Errorf("Spec(rq, %s) = %+v, %v", spec.File, got, ok)
	}
}

func TestReadSummaryErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	notJSON := write("junit.xml", "<testsuites/>")
	oldVersion := write("old.json", `{"version": 0, "suites": []}`)
	missing := filepath.Join(dir, "nothing.json")
	for path, want := range map[string]string{
		missing:    "read summary: " + missing + " does not exist; point at the summary.json of an earlier run: open " + missing + ": no such file or directory",
		notJSON:    "read summary: " + notJSON + " is not a leakspec summary (invalid character '<' looking for beginning of value); point at the summary.json of an earlier run",
		oldVersion: "read summary: " + oldVersion + " has version 0, but this leakspec reads version 1; make a new one with this version",
	} {
		if _, err := ReadSummary(path); err == nil || err.Error() != want {
			t.Errorf("ReadSummary(%s) error\n got: %v\nwant: %s", filepath.Base(path), err, want)
		}
	}
	// An index must not leave a suite out in silence.
	write("broken.summary.json", "{")
	if _, err := CollectSummaries(dir); err == nil || !strings.Contains(err.Error(), "broken.summary.json is not a leakspec summary") {
		t.Errorf("CollectSummaries error = %v, want one naming the broken file", err)
	}
}
