package reports_test

import (
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/reports"
	"github.com/leakspec/leakspec/worker/recording"
)

// plateauMessage picks the numbers out of PlateauWithin's message: the whole
// run, then the peaks after the warm-up and their trend with its bounds.
var plateauMessage = regexp.MustCompile(`from a baseline of (\S+ MB) it peaked at (\S+ MB) \((\S+ MB)\) over (\S+) s \((\d+) samples\); ` +
	`after the (\S+) s warm-up the peaks of ((?:\d+ of )?\d+) windows of (\S+) s rose (\S+ MB) from their early level of (\S+ MB) \(noise margin (\S+ MB), [^)]* allowed\) ` +
	`and trend at (\S+) MB/min \((\d+) %(?:, widened for the windows' autocorrelation of [\d.]+)?: (\S+)(?: MB/min)? to (\S+) MB/min\)`)

// TestFiguresAgreeWithThePlateauMessage holds the figures a report files for
// a recording (in its JUnit properties, summary.json, index and plot) to the
// numbers PlateauWithin's message tells about the same recording, as a
// person reading both sees them: baseline, peak, growth, duration, samples,
// warm-up, windows, rise, early level, noise margin, slope and its bounds.
// The recordings are real ones of the matchers' tests, leaks and plateaus,
// sawtooths whose teeth change the windows among them, and synthetic ones.
func TestFiguresAgreeWithThePlateauMessage(t *testing.T) {
	recs := map[string]recording.Recording{}
	paths, err := filepath.Glob(filepath.Join("..", "matchers", "testdata", "*.csv"))
	if err != nil || len(paths) < 9 {
		t.Fatalf("the matchers' real recordings: %d files, %v; want at least 9", len(paths), err)
	}
	for _, path := range paths {
		rec, err := reports.ReadCSV(path)
		if err != nil {
			t.Fatal(err)
		}
		recs[rec.Name] = rec
	}
	for name, perMinute := range map[string]float64{"a synthetic leak": 300, "a synthetic plateau": 0, "a synthetic fall": -60} {
		recs[name] = ramp(perMinute * float64(bytesize.MB))
	}

	for name, rec := range recs {
		t.Run(name, func(t *testing.T) {
			msg := matchers.PlateauWithin(32 * bytesize.MB).FailureMessage(rec)
			m := plateauMessage.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("PlateauWithin's message does not tell its numbers the expected way:\n%s", msg)
			}
			f := reports.FiguresOf(rec)
			props := junitProperties(t, f)
			windows := strconv.Itoa(f.Windows)
			if f.Peaks < f.Windows {
				windows = fmt.Sprintf("%d of %d", f.Peaks, f.Windows)
			}
			for _, c := range []struct{ what, message, figure string }{
				{"baseline", m[1], props["baseline_mb"] + " MB"},
				{"peak", m[2], props["peak_mb"] + " MB"},
				{"growth", m[3], "+" + props["growth_mb"] + " MB"},
				{"duration", m[4], props["duration_s"]},
				{"samples", m[5], props["samples"]},
				{"warm-up", m[6], props["warm_up_s"]},
				{"windows", m[7], windows},
				{"window width", m[8], fmt.Sprintf("%.1f", f.WindowS)},
				{"rise", m[9], signed(props["rise_mb"]) + " MB"},
				{"early level", m[10], bytesize.Format(uint64(math.Round(f.EarlyLevel)))},
				{"noise margin", m[11], bytesize.Format(uint64(math.Round(f.RiseMargin)))},
				{"slope", m[12], props["slope_mb_per_min"]},
				{"confidence", m[13], strconv.FormatFloat(f.Confidence*100, 'f', -1, 64)},
				{"slope's lower bound", m[14], orUnbounded(props["slope_lower_mb_per_min"])},
				{"slope's upper bound", m[15], orUnbounded(props["slope_upper_mb_per_min"])},
			} {
				if c.message != c.figure {
					t.Errorf("%s: the message says %q, the report %q\n%s", c.what, c.message, c.figure, msg)
				}
			}
		})
	}
}

// junitProperties files f as a spec's figures and returns the properties
// the spec's testcase gets in the JUnit file.
func junitProperties(t *testing.T, f reports.Figures) map[string]string {
	t.Helper()
	dir := t.TempDir()
	spec := types.SpecReport{
		LeafNodeType: types.NodeTypeIt, LeafNodeText: "a spec", State: types.SpecStatePassed,
		ReportEntries: types.ReportEntries{{Name: reports.EntryFigures, Value: types.WrapEntryValue(f)}},
	}
	if err := reports.WriteJUnit(dir, "agree", types.Report{SuiteDescription: "agree", SpecReports: types.SpecReports{spec}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(reports.JUnitPath(dir, "agree"))
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range suites.TestSuites[0].TestCases[0].Properties.Properties {
		props[p.Name] = p.Value
	}
	return props
}

// signed puts a sign before a number that has none.
func signed(v string) string {
	if v != "" && v[0] != '-' {
		return "+" + v
	}
	return v
}

// orUnbounded reads a missing bound as the message does.
func orUnbounded(v string) string {
	if v == "" {
		return "unbounded"
	}
	return v
}

// ramp is ten seconds of memory sampled every 100 ms: a second at 30 MB,
// then a sawtooth of 0.4 s teeth, 8 MB deep, whose peaks climb perMinute.
func ramp(perMinute float64) recording.Recording {
	var rec recording.Recording
	for i := 0; i <= 100; i++ {
		at := time.Duration(i) * 100 * time.Millisecond
		rss := 30 * float64(bytesize.MB)
		if i >= 10 {
			rss = 80*float64(bytesize.MB) + perMinute*at.Minutes() - float64(3-i%4)*2*float64(bytesize.MB)
		}
		rec.Samples = append(rec.Samples, recording.Sample{At: at, RSS: uint64(rss), Processes: 1})
	}
	return rec
}
