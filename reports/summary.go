package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// SummaryVersion is the version of the summary format this package writes
// and reads. A summary of another version is refused rather than misread.
const SummaryVersion = 1

// Summary is the machine-readable account of a run: every spec's figures,
// verdict and baseline comparison, suite by suite. It is what the next run
// compares with (reports.baseline), so CI keeps the main branch's summary.
type Summary struct {
	Version int            `json:"version"`
	Suites  []SuiteSummary `json:"suites"`
}

// SuiteSummary is one suite's part of a Summary.
type SuiteSummary struct {
	// Suite is the name the suite was set up with, which names its files;
	// Description is its Ginkgo description.
	Suite       string `json:"suite"`
	Description string `json:"description"`
	// Started is when the suite started and RunTimeS how long it ran.
	Started   time.Time     `json:"started"`
	RunTimeS  float64       `json:"run_time_s"`
	Succeeded bool          `json:"succeeded"`
	Specs     []SpecSummary `json:"specs"`
}

// SpecSummary is one spec of a SuiteSummary.
type SpecSummary struct {
	// Name is the spec's full text and File the stem of its files:
	// <suite>/<File>.csv, .log, .png, .svg in the report directory. File is
	// the spec's identity from run to run.
	Name string `json:"name"`
	File string `json:"file"`
	// State is Ginkgo's ("passed", "failed", ...), Verdict the few words of
	// Verdict, and Failure the failure message, if any.
	State   string `json:"state"`
	Verdict string `json:"verdict"`
	Failure string `json:"failure,omitempty"`
	// Labels are the spec's Ginkgo labels, by which the index filters and
	// CI shards a run.
	Labels []string `json:"labels,omitempty"`
	// Figures are the recording's figures; nil for a spec that recorded
	// nothing.
	Figures   *Figures   `json:"figures,omitempty"`
	Judgments []Judgment `json:"judgments,omitempty"`
	// Baseline is the comparison with the baseline run, if one was made.
	Baseline *Comparison `json:"baseline,omitempty"`
	// Heap is what holds a Python worker's memory, nil for other workers.
	Heap *Heap `json:"heap,omitempty"`
	// History holds the earlier runs of this spec that the comparison used,
	// oldest first, so that a summary kept as the next baseline carries the
	// run-to-run spread along.
	History []Point `json:"history,omitempty"`
}

// suiteFile is the name of a suite's own summary in the report directory.
func suiteFile(suite string) string { return suite + ".summary.json" }

// WriteSuiteSummary writes one suite's summary to <dir>/<suite>.summary.json.
// Each suite is a test binary of its own, so each writes its own file, and
// WriteSummary then gathers every suite's file into one summary.
func WriteSuiteSummary(dir string, s SuiteSummary) error {
	if err := writeJSON(filepath.Join(dir, suiteFile(s.Suite)), Summary{Version: SummaryVersion, Suites: []SuiteSummary{s}}); err != nil {
		return fmt.Errorf("write suite summary: %w", err)
	}
	return nil
}

// CollectSummaries reads every suite summary in dir (<suite>.summary.json)
// into one Summary, suites in name order. A file that cannot be read is an
// error: an index that silently left a suite out would misreport the run.
func CollectSummaries(dir string) (Summary, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.summary.json"))
	if err != nil {
		return Summary{}, fmt.Errorf("collect summaries: %w", err)
	}
	all := Summary{Version: SummaryVersion}
	for _, path := range paths {
		s, err := ReadSummary(path)
		if err != nil {
			return Summary{}, err
		}
		all.Suites = append(all.Suites, s.Suites...)
	}
	slices.SortFunc(all.Suites, func(a, b SuiteSummary) int { return strings.Compare(a.Suite, b.Suite) })
	return all, nil
}

// WriteSummary writes s as JSON to path, replacing the file at once, so a
// reader never sees half of it.
func WriteSummary(path string, s Summary) error {
	if err := writeJSON(path, s); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// ReadSummary reads a summary written by WriteSummary or WriteSuiteSummary.
// path may name the file or the report directory that holds summary.json.
// Its errors are sentences a person can act on.
func ReadSummary(path string) (Summary, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, SummaryFile)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Summary{}, fmt.Errorf("read summary: %s does not exist; point at the summary.json of an earlier run: %w", path, err)
	}
	if err != nil {
		return Summary{}, fmt.Errorf("read summary: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return Summary{}, fmt.Errorf("read summary: %s is not a leakspec summary (%v); point at the summary.json of an earlier run", path, err)
	}
	if s.Version != SummaryVersion {
		return Summary{}, fmt.Errorf("read summary: %s has version %d, but this leakspec reads version %d; make a new one with this version",
			path, s.Version, SummaryVersion)
	}
	return s, nil
}

// Spec returns the summary of the spec whose files are named file in the
// given suite.
func (s Summary) Spec(suite, file string) (SpecSummary, bool) {
	for _, ss := range s.Suites {
		if ss.Suite != suite {
			continue
		}
		for _, spec := range ss.Specs {
			if spec.File == file {
				return spec, true
			}
		}
	}
	return SpecSummary{}, false
}

// SummaryFile and IndexFile are the names of the run's summary and HTML
// index in the report directory. Both cover every suite whose summary is in
// the directory.
const (
	SummaryFile = "summary.json"
	IndexFile   = "index.html"
)

// writeJSON writes v to path through a temporary file and a rename.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomically(path, append(data, '\n'))
}

// writeAtomically replaces path with data through a temporary file in the
// same directory, creating the directory.
func writeAtomically(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
