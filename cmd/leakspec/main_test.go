package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/reports"
)

var now = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// writeShard writes the report directory of a shard that ran the spec ran
// of suite rq and skipped the other.
func writeShard(t *testing.T, dir, ran, other string) {
	t.Helper()
	s := reports.SuiteSummary{Suite: "rq", Description: "leakspec rq", Started: now, RunTimeS: 3, Succeeded: true,
		Specs: []reports.SpecSummary{
			{Name: ran, File: reports.FileName(ran), State: "passed", Verdict: reports.VerdictPass},
			{Name: other, File: reports.FileName(other), State: "skipped", Verdict: reports.VerdictSkipped},
		}}
	if ran > other {
		s.Specs[0], s.Specs[1] = s.Specs[1], s.Specs[0]
	}
	if err := reports.WriteSuiteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rq"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rq", reports.FileName(ran)+".log"), []byte("ran\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := reports.UpdateIndex(dir, now); err != nil {
		t.Fatal(err)
	}
}

func TestMerge(t *testing.T) {
	root := t.TempDir()
	a, b, out := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "out")
	writeShard(t, a, "a drop", "b keep")
	writeShard(t, b, "b keep", "a drop")

	var w bytes.Buffer
	// -out last, as the usage and the workflow write it.
	if err := run([]string{"merge", a, b, "-out", out}, &w, now); err != nil {
		t.Fatal(err)
	}
	want := "Merged 2 report directories into " + out + ": 2 specs in 1 suite (2 passed).\nOpen " +
		filepath.Join(out, "index.html") + "; keep " + filepath.Join(out, "summary.json") + " as the next baseline.\n"
	if w.String() != want {
		t.Errorf("merge said\n%q, want\n%q", w.String(), want)
	}
	s, err := reports.ReadSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Suites[0]; len(got.Specs) != 2 || got.Specs[0].State != "passed" || got.Specs[1].State != "passed" || got.RunTimeS != 6 {
		t.Errorf("the merged suite is %+v, want both specs passed in 6 s", got)
	}
	for _, name := range []string{"index.html", "rq/a-drop.log", "rq/b-keep.log", "rq/a-drop.html"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("the merge lacks %s: %v", name, err)
		}
	}
}

func TestMergeArguments(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "the only command is merge: wrong arguments"},
		{[]string{"split"}, "the only command is merge: wrong arguments"},
		{[]string{"merge", "a", "b"}, "merge needs -out DIR, the directory to write the merge to: wrong arguments"},
		{[]string{"merge", "-out", "x"}, "merge needs the report directories to merge: wrong arguments"},
		{[]string{"merge", "a", "-out"}, "-out needs a directory: wrong arguments"},
		{[]string{"merge", "-p", "a", "-out=x"}, "merge has no flag -p: wrong arguments"},
	} {
		err := run(tt.args, &bytes.Buffer{}, now)
		if err == nil || err.Error() != tt.want || !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want %q", tt.args, err, tt.want)
		}
	}
	out, dirs, err := mergeArgs([]string{"--out=m", "a", "b"})
	if err != nil || out != "m" || len(dirs) != 2 {
		t.Errorf("mergeArgs(--out=m a b) = %q, %q, %v", out, dirs, err)
	}
}
