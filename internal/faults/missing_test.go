package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingSystemIsSkipped runs the selftest suite, all RQ specs, with a
// real Python that cannot import RQ (as the python3 first on PATH often
// is) and no requirement: the run passes, every spec is skipped with the
// one sentence that names the packages to install, and the console says
// so once. TestBadInput's "required system missing" cases are the other
// half: the same machine with rq required fails.
func TestMissingSystemIsSkipped(t *testing.T) {
	selftest := selftestSuite(t)
	r := newRun(t, "missing-system")
	bare := filepath.Join(r.dir, "bare", "python3")
	if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bare, []byte("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.start(filepath.Join(moduleRoot(t), "suites", "selftest"), r.environ("LEAKSPEC_PYTHON="+bare), selftest, "-ginkgo.no-color")
	if code := r.wait(); code != 0 {
		t.Fatalf("the run failed (exit code %d):\n%s", code, r.out())
	}
	r.nothingLeft()

	sentence := "start rq worker: " + bare + " cannot import rq (ModuleNotFoundError: No module named 'rq'); " +
		"install RQ for it or set the interpreter to one that has it. On Debian or Ubuntu: apt-get install python3-rq python3-redis."
	if n := strings.Count(r.out(), "leakspec: skipping the rq specs: "+sentence+"\n"); n != 1 {
		t.Errorf("the console says %d times that the rq specs are skipped, want once:\n%s", n, r.out())
	}
	cases := r.cases("selftest")
	if len(cases) == 0 {
		t.Fatal("the JUnit file has no testcase")
	}
	for _, c := range cases {
		if c.Skipped == nil || c.Skipped.Message != "skipped - "+sentence {
			t.Errorf("%q: skipped = %+v, want skipped with %q", c.Name, c.Skipped, sentence)
		}
	}
}
