package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MergeSummaries merges the summaries of runs that shared out the specs of
// the same suites, such as CI's shards, each split by a label filter or by
// Ginkgo's own filters, into the summary one run of every spec would have
// given. A spec is taken from the shard that ran it: every shard lists all
// the specs of a suite it ran, those its filter left out as skipped. A
// suite's start is its earliest, its run time the sum of its shards' (the
// time it took, had one machine run it), and it succeeded when every shard
// of it did.
//
// A spec that ran in two shards is an error: the shards did not split the
// specs, and neither result can be chosen over the other.
func MergeSummaries(parts ...Summary) (Summary, error) {
	merged := Summary{Version: SummaryVersion}
	index := map[string]int{}
	for _, part := range parts {
		for _, suite := range part.Suites {
			i, seen := index[suite.Suite]
			if !seen {
				index[suite.Suite] = len(merged.Suites)
				suite.Specs = slices.Clone(suite.Specs)
				merged.Suites = append(merged.Suites, suite)
				continue
			}
			into := &merged.Suites[i]
			if suite.Started.Before(into.Started) {
				into.Started = suite.Started
			}
			into.RunTimeS += suite.RunTimeS
			into.Succeeded = into.Succeeded && suite.Succeeded
			for _, spec := range suite.Specs {
				at := slices.IndexFunc(into.Specs, func(s SpecSummary) bool { return s.File == spec.File })
				switch {
				case at < 0:
					into.Specs = append(into.Specs, spec)
				case skipped(spec):
				case skipped(into.Specs[at]):
					into.Specs[at] = spec
				default:
					return Summary{}, fmt.Errorf("merge summaries: the spec %q of suite %s ran in two shards; split the specs so that each runs in one", spec.Name, suite.Suite)
				}
			}
		}
	}
	slices.SortFunc(merged.Suites, func(a, b SuiteSummary) int { return strings.Compare(a.Suite, b.Suite) })
	return merged, nil
}

// skipped reports whether a spec did not run.
func skipped(s SpecSummary) bool { return s.State == "skipped" || s.State == "pending" }

// MergeDirs merges the report directories of runs that shared out the specs
// of the same suites into out: one summary.json (see MergeSummaries), which
// is also the baseline the next run compares with; one JUnit file per suite
// whose testcases are taken from the shard that ran them; every spec's files
// (CSV, log, plots, and whatever else a run files beside them); and the
// index over all of it, as UpdateIndex writes it, dated now.
//
// out may be new or hold an earlier merge, whose suites it then keeps; it
// must not be one of dirs. Two shards that left different files under the
// same name are an error, as two shards that ran the same spec are.
func MergeDirs(out string, dirs []string, now time.Time) error {
	var parts []Summary
	junits := map[string][]junitSuites{}
	files := map[string]string{}
	for _, dir := range dirs {
		if same, err := sameDir(dir, out); err != nil || same {
			return fmt.Errorf("merge reports: %s is both a shard and the output; write the merge to a new directory", dir)
		}
		s, err := CollectSummaries(dir)
		if err != nil {
			return fmt.Errorf("merge reports: %w", err)
		}
		if len(s.Suites) == 0 {
			return fmt.Errorf("merge reports: %s holds no suite summary (<suite>.summary.json); point at the report directory of a run", dir)
		}
		parts = append(parts, s)
		stems := map[string]bool{}
		for _, suite := range s.Suites {
			for _, spec := range suite.Specs {
				stems[filepath.Join(suite.Suite, spec.File+".html")] = true
			}
		}
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			name := d.Name()
			switch {
			case rel == SummaryFile || rel == IndexFile || strings.HasPrefix(name, ".") || stems[rel],
				!strings.ContainsRune(rel, filepath.Separator) && strings.HasSuffix(name, ".summary.json"):
				// Written anew from the merged summary.
			case !strings.ContainsRune(rel, filepath.Separator) && strings.HasSuffix(name, ".junit.xml"):
				j, err := readJUnit(path)
				if err != nil {
					return err
				}
				junits[name] = append(junits[name], j)
			default:
				if first, ok := files[rel]; ok && !sameContent(first, path) {
					return fmt.Errorf("%s and %s differ; two shards filed the same spec's files", first, path)
				}
				files[rel] = path
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("merge reports: %w", err)
		}
	}
	merged, err := MergeSummaries(parts...)
	if err != nil {
		return fmt.Errorf("merge reports: %w", err)
	}
	for rel, from := range files {
		data, err := os.ReadFile(from)
		if err != nil {
			return fmt.Errorf("merge reports: %w", err)
		}
		if err := writeAtomically(filepath.Join(out, rel), data); err != nil {
			return fmt.Errorf("merge reports: %w", err)
		}
	}
	for name, shards := range junits {
		if err := writeJUnitDoc(filepath.Join(out, name), mergeJUnit(shards)); err != nil {
			return fmt.Errorf("merge reports: %w", err)
		}
	}
	for _, suite := range merged.Suites {
		if err := WriteSuiteSummary(out, suite); err != nil {
			return fmt.Errorf("merge reports: %w", err)
		}
	}
	return UpdateIndex(out, now)
}

// mergeJUnit merges one suite's JUnit files from its shards, as
// MergeSummaries merges its summaries: a testcase from the shard that ran
// it, times summed, the earliest timestamp.
func mergeJUnit(shards []junitSuites) junitSuites {
	doc := shards[0]
	doc.Suites = slices.Clone(doc.Suites)
	s := &doc.Suites[0]
	s.Cases = slices.Clone(s.Cases)
	seconds := func(t string) float64 { v, _ := strconv.ParseFloat(t, 64); return v }
	total := seconds(s.Time)
	succeeded := true
	for _, shard := range shards {
		for _, p := range shard.Suites[0].Properties.Properties {
			if p.Name == "SuiteSucceeded" && p.Value != "true" {
				succeeded = false
			}
		}
	}
	for _, shard := range shards[1:] {
		other := shard.Suites[0]
		total += seconds(other.Time)
		if other.Timestamp < s.Timestamp {
			s.Timestamp = other.Timestamp
		}
		for _, c := range other.Cases {
			at := slices.IndexFunc(s.Cases, func(k junitCase) bool { return k.Name == c.Name })
			switch {
			case at < 0:
				s.Cases = append(s.Cases, c)
			case s.Cases[at].Skipped != nil && c.Skipped == nil:
				s.Cases[at] = c
			}
		}
	}
	s.Time = junitTime(total)
	// The shards' label filters together select what the merge holds.
	var filters []string
	for _, shard := range shards {
		for _, p := range shard.Suites[0].Properties.Properties {
			if p.Name == "LabelFilter" && !slices.Contains(filters, "("+p.Value+")") {
				filters = append(filters, "("+p.Value+")")
			}
		}
	}
	filter := strings.Join(filters, " || ")
	if len(filters) == 1 || slices.Contains(filters, "()") {
		filter = strings.TrimSuffix(strings.TrimPrefix(filters[0], "("), ")")
		if slices.Contains(filters, "()") {
			filter = ""
		}
	}
	for i, p := range s.Properties.Properties {
		switch p.Name {
		case "SuiteSucceeded":
			s.Properties.Properties[i].Value = strconv.FormatBool(succeeded)
		case "LabelFilter":
			s.Properties.Properties[i].Value = filter
		}
	}
	s.Tests, s.Failures, s.Errors, s.Skipped = len(s.Cases), 0, 0, 0
	for _, c := range s.Cases {
		switch {
		case c.Skipped != nil:
			s.Skipped++
		case c.Error != nil:
			s.Errors++
		case c.Failure != nil:
			s.Failures++
		}
	}
	doc.Tests, doc.Failures, doc.Errors, doc.Time = s.Tests, s.Failures, s.Errors, s.Time
	return doc
}

// readJUnit reads a JUnit file WriteJUnit wrote: one testsuite.
func readJUnit(path string) (junitSuites, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return junitSuites{}, err
	}
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		return junitSuites{}, fmt.Errorf("%s is not a JUnit file: %w", path, err)
	}
	if len(doc.Suites) != 1 {
		return junitSuites{}, fmt.Errorf("%s holds %d testsuites; leakspec writes one a file", path, len(doc.Suites))
	}
	return doc, nil
}

// writeJUnitDoc writes a JUnit document as WriteJUnit does.
func writeJUnitDoc(path string, doc junitSuites) error {
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomically(path, append([]byte(xml.Header), append(data, '\n')...))
}

// sameContent reports whether two files hold the same bytes.
func sameContent(a, b string) bool {
	x, errA := os.ReadFile(a)
	y, errB := os.ReadFile(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// sameDir reports whether a and b are the same directory; a b that does
// not exist yet is not a.
func sameDir(a, b string) (bool, error) {
	x, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	y, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(x, y), nil
}
