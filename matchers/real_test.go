package matchers_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/internal/synth"
	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/reports"
	"github.com/leakspec/leakspec/worker/recording"
)

// realRecording is one of the recordings of real workers kept under
// testdata, with what it is known to do (testdata/labels.txt).
type realRecording struct {
	rec  recording.Recording
	leak bool
}

func readRealRecordings(t *testing.T) []realRecording {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []realRecording
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		rec, err := reports.ReadCSV(filepath.Join("testdata", fields[0]))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, realRecording{rec: rec, leak: fields[1] == "leak"})
	}
	if len(recs) < 9 {
		t.Fatalf("testdata/labels.txt names %d recordings, want at least 9", len(recs))
	}
	return recs
}

// realBudget is the PlateauWithin budget the real recordings are judged
// at: the README's usual 32 MB. PlateauWithin holds memory to within its
// budget of where the load began, and two clean runs settle more than
// 16 MB above their start: the selftest's negative control, as glibc,
// having raised its mmap threshold to the 16 MiB a job frees, keeps that
// much on its heap after the first job, and the bounded cache, which holds
// 24 MiB by design.
const realBudget = 32 * matchers.MB

// TestRealRecordings judges the recordings of real RQ workers at default
// settings: every leak must fail and every clean run pass, whether judged
// after the run or early.
func TestRealRecordings(t *testing.T) {
	for _, r := range readRealRecordings(t) {
		t.Run(r.rec.Name, func(t *testing.T) {
			ms := []types.GomegaMatcher{
				matchers.PlateauWithin(realBudget),
				matchers.GrowLessThan(16 * matchers.MB),
				matchers.HaveSlopeBelow(matchers.MBPerMinute(10)),
			}
			// The recordings of 40 s and more note every job.
			if r.rec.Count("job") > 0 {
				ms = append(ms, matchers.GrowLessThanPerEvent(32*matchers.KB, "job"))
			}
			// ReturnToBaseline judges only the runs that idled after their
			// load for longer than its decay limit.
			if stop := lastEvent(r.rec, recording.LoadStop); stop > 0 && r.rec.Duration-stop > matchers.DefaultDecayLimit {
				ms = append(ms, matchers.ReturnToBaseline(8*matchers.MB))
			}
			for _, m := range ms {
				ok, err := m.Match(r.rec)
				if r.leak && ok {
					t.Errorf("the leak passed:\n%s", m.NegatedFailureMessage(r.rec))
				}
				if !r.leak && (!ok || err != nil) {
					t.Errorf("the clean run failed: %v\n%s", err, m.FailureMessage(r.rec))
				}
			}
			plan := matchers.Plan{Max: r.rec.Duration.Truncate(time.Second)}
			d := firstDecision(t, r.rec, plan, matchers.PlateauWithin(realBudget))
			if want := map[bool]matchers.Verdict{true: matchers.Failed, false: matchers.Passed}[r.leak]; d.Verdict != want {
				t.Errorf("early verdict %v at %v, want %v: %s", d.Verdict, d.At, want, d.Message)
			}
		})
	}
}

func lastEvent(rec recording.Recording, name string) time.Duration {
	var at time.Duration
	for _, e := range rec.Events {
		if e.Name == name {
			at = e.At
		}
	}
	return at
}

// TestDetectionOnSyntheticSeries is a small, fast cut of the detection
// benchmark (go run ./cmd/detectbench): at default settings no
// leak-free series of any class fails, and every fast leak is caught;
// PlateauWithin also catches reference cycles that hold 64 MB from the
// third second on, whose floor rises only before GrowLessThan's warm-up
// ends.
func TestDetectionOnSyntheticSeries(t *testing.T) {
	plateau := matchers.PlateauWithin(16 * matchers.MB)
	for _, length := range []time.Duration{30 * time.Second, time.Minute} {
		for seed := uint64(1); seed <= 30; seed++ {
			rec := synthSeries(synth.Cycles(64e6, 3*time.Second), length, seed)
			if ok, err := plateau.Match(rec); ok || err != nil {
				t.Errorf("reference cycles, %v, seed %d: PlateauWithin(16 MB) missed them: %v\n%s", length, seed, err, plateau.NegatedFailureMessage(rec))
			}
		}
	}

	ms := map[string]types.GomegaMatcher{
		"PlateauWithin(16 MB)": matchers.PlateauWithin(16 * matchers.MB),
		"GrowLessThan(16 MB)":  matchers.GrowLessThan(16 * matchers.MB),
	}
	for _, length := range []time.Duration{30 * time.Second, time.Minute} {
		for seed := uint64(1); seed <= 30; seed++ {
			for _, c := range synthLeakFree() {
				rec := synthSeries(c, length, seed)
				for name, m := range ms {
					if ok, err := m.Match(rec); !ok || err != nil {
						t.Errorf("%s, %v, seed %d: %s failed a series that does not leak: %v\n%s", c.Name, length, seed, name, err, m.FailureMessage(rec))
					}
				}
			}
			for _, c := range synthFastLeaks() {
				rec := synthSeries(c, length, seed)
				for name, m := range ms {
					if ok, err := m.Match(rec); ok || err != nil {
						t.Errorf("%s, %v, seed %d: %s missed a leak of 160 MB/min: %v\n%s", c.Name, length, seed, name, err, m.NegatedFailureMessage(rec))
					}
				}
			}
		}
	}
}
