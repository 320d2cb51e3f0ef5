package faults

import (
	"testing"
)

// TestParallelMatchesSerial runs the quick specs serially and on two
// processes: each spec must reach the same verdict both ways, and under -p
// each process must have had a Redis container of its own.
func TestParallelMatchesSerial(t *testing.T) {
	verdicts := map[string]map[string]string{}
	redis := map[string]map[string]bool{}
	for _, mode := range []struct{ name, flag string }{{"serial", "--procs=1"}, {"parallel", "--procs=2"}} {
		r := newRun(t, mode.name)
		startCLI(t, r, "quick", mode.flag)
		if code := r.wait(); code != 0 {
			t.Fatalf("the %s run failed:\n%s", mode.name, r.out())
		}
		r.nothingLeft()
		verdicts[mode.name], redis[mode.name] = map[string]string{}, map[string]bool{}
		for _, c := range r.cases("faults") {
			if v := property(c, "verdict"); v != "" {
				verdicts[mode.name][c.Name] = v
				redis[mode.name][property(c, "redis")] = true
			}
		}
	}
	if len(verdicts["serial"]) != 2 {
		t.Fatalf("the serial run has verdicts %v, want two", verdicts["serial"])
	}
	for name, v := range verdicts["serial"] {
		if p := verdicts["parallel"][name]; p != v {
			t.Errorf("%q: %q serially, %q in parallel", name, v, p)
		}
	}
	if len(redis["parallel"]) != 2 {
		t.Errorf("under -p the specs used Redis %v, want one container per process", redis["parallel"])
	}
}
