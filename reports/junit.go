package reports

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// The JUnit XML written here follows the format Jenkins, GitLab and the
// GitHub Actions reporters read (testdata/junit.xsd is its schema: the
// Jenkins/Ant definition, plus properties on a testcase, which those
// consumers accept and show). Ginkgo's own reporter writes attributes that
// schema lacks (status, disabled) and times with nine decimals, and turns
// each report entry into a JSON dump; leakspec writes its own, with figures
// as plain numbers.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties junitProperties `xml:"properties"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperties struct {
	Properties []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string           `xml:"name,attr"`
	Classname  string           `xml:"classname,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Skipped    *junitResult     `xml:"skipped,omitempty"`
	Failure    *junitResult     `xml:"failure,omitempty"`
	Error      *junitResult     `xml:"error,omitempty"`
	SystemOut  string           `xml:"system-out,omitempty"`
	SystemErr  string           `xml:"system-err,omitempty"`
}

type junitResult struct {
	Message     string `xml:"message,attr"`
	Type        string `xml:"type,attr,omitempty"`
	Description string `xml:",chardata"`
}

// JUnitPath returns where WriteJUnit writes a suite's JUnit file.
func JUnitPath(dir, suite string) string { return filepath.Join(dir, suite+".junit.xml") }

// WriteJUnit writes the suite's report as JUnit XML to <dir>/<suite>.junit.xml,
// one testcase per spec. A testcase carries the spec's figures and verdict as
// properties (baseline_mb, peak_mb, growth_mb, rise_mb, slope_mb_per_min
// with slope_lower_mb_per_min and slope_upper_mb_per_min, samples,
// duration_s, warm_up_s, verdict, budget_mb, limit_mb, pss_peak_mb,
// uss_peak_mb, and the baseline comparison), a Python worker's heap report
// (heap, heap_freed_by_gc_mb, heap_cyclic_garbage; also in system-out), the
// paths of its files relative to the JUnit file (csv, log, png, svg,
// pyheap_txt, pyheap_json),
// and, when it failed, the failure message with its text chart. Report
// entries a spec added itself become properties too, as text.
//
// Suite setup nodes (BeforeSuite, AfterSuite, ...) that passed are left out,
// so the testcases are exactly the specs; one that failed is kept, because
// its specs are then merely skipped and CI must still see why the run failed.
func WriteJUnit(dir, suite string, report types.Report) error {
	s := junitSuite{
		Name:      report.SuiteDescription,
		Package:   report.SuitePath,
		Time:      junitTime(report.RunTime.Seconds()),
		Timestamp: report.StartTime.Format("2006-01-02T15:04:05"),
		Properties: junitProperties{Properties: []junitProperty{
			{"SuiteSucceeded", strconv.FormatBool(report.SuiteSucceeded)},
			{"RandomSeed", strconv.FormatInt(report.SuiteConfig.RandomSeed, 10)},
			{"ParallelTotal", strconv.Itoa(report.SuiteConfig.ParallelTotal)},
			{"LabelFilter", report.SuiteConfig.LabelFilter},
		}},
	}
	for _, sr := range specReports(report) {
		spec, err := SpecOf(sr)
		if err != nil {
			return fmt.Errorf("write junit: %w", err)
		}
		c := junitCase{Name: caseName(sr), Classname: report.SuiteDescription, Time: junitTime(sr.RunTime.Seconds())}
		if props := caseProperties(dir, suite, spec, sr); len(props) > 0 {
			c.Properties = &junitProperties{Properties: props}
		}
		switch {
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			c.Skipped = &junitResult{Message: sr.State.String()}
			if sr.Failure.Message != "" {
				c.Skipped.Message += " - " + sr.Failure.Message
			}
			s.Skipped++
		case sr.State.Is(types.SpecStatePanicked | types.SpecStateInterrupted):
			c.Error = &junitResult{Message: spec.Failure, Type: sr.State.String(), Description: failureText(sr)}
			s.Errors++
		case sr.State.Is(types.SpecStateFailureStates):
			c.Failure = &junitResult{Message: spec.Failure, Type: sr.State.String(), Description: failureText(sr)}
			s.Failures++
		}
		c.SystemOut = sr.CapturedStdOutErr
		if spec.Heap != nil {
			// Where CI shows a testcase's output, the heap report is read
			// with it, passed or failed.
			c.SystemOut = strings.TrimLeft(c.SystemOut+"\n\nWhat holds the memory (leakspec heap probe):\n"+spec.Heap.Text+"\n", "\n")
		}
		if sr.State.Is(types.SpecStateFailureStates) {
			c.SystemErr = reporters.RenderTimeline(sr, true)
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}

	doc := junitSuites{Name: report.SuiteDescription, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors,
		Time: s.Time, Suites: []junitSuite{s}}
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if err := writeAtomically(JUnitPath(dir, suite), append([]byte(xml.Header), append(data, '\n')...)); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// caseName is the spec's full text with its labels, as Ginkgo names a
// testcase, or the node type for a suite node.
func caseName(s types.SpecReport) string {
	name := s.FullText()
	if name == "" {
		name = "[" + s.LeafNodeType.String() + "]"
	}
	if labels := s.Labels(); len(labels) > 0 {
		name += " [" + strings.Join(labels, ", ") + "]"
	}
	return name
}

// caseProperties lists a testcase's properties: the verdict and figures,
// the budgets, the baseline comparison, the spec's files, then the entries
// the spec added itself.
func caseProperties(dir, suite string, spec SpecSummary, sr types.SpecReport) []junitProperty {
	var props []junitProperty
	add := func(name, value string) { props = append(props, junitProperty{name, value}) }
	if f := spec.Figures; f != nil {
		add("verdict", spec.Verdict)
		add("baseline_mb", mbValue(float64(f.Baseline)))
		add("peak_mb", mbValue(float64(f.Peak)))
		add("growth_mb", mbValue(float64(f.Growth)))
		if f.Slope != nil {
			add("rise_mb", mbValue(f.Rise))
			add("slope_mb_per_min", mbValue(*f.Slope))
		}
		if f.SlopeLower != nil {
			add("slope_lower_mb_per_min", mbValue(*f.SlopeLower))
		}
		if f.SlopeUpper != nil {
			add("slope_upper_mb_per_min", mbValue(*f.SlopeUpper))
		}
		add("samples", strconv.Itoa(f.Samples))
		add("duration_s", strconv.FormatFloat(f.DurationS, 'f', 1, 64))
		add("warm_up_s", strconv.FormatFloat(f.WarmUpS, 'f', 1, 64))
		budget, limit := growthBudget(spec.Judgments)
		if budget > 0 {
			add("budget_mb", mbValue(float64(budget)))
		}
		if series := judgedSeries(spec.Judgments); series != "" {
			add("judged_on", string(series))
		}
		for _, j := range spec.Judgments {
			if j.Caveat != "" {
				add("caveat", j.Caveat)
			}
		}
		if limit > 0 {
			add("limit_mb", mbValue(float64(limit)))
		}
		if f.PSSPeak > 0 {
			add("pss_peak_mb", mbValue(float64(f.PSSPeak)))
			add("uss_peak_mb", mbValue(float64(f.USSPeak)))
		}
		if f.Aborted != "" {
			add("aborted", f.Aborted)
		}
	}
	if cmp := spec.Baseline; cmp != nil {
		for _, c := range cmp.Checks {
			unit := "_mb"
			if c.Figure == "slope" {
				unit = "_mb_per_min"
			}
			add("previous_"+c.Figure+unit, mbValue(c.Reference))
			add("allowed_"+c.Figure+unit, mbValue(c.Allowed))
		}
		if msg := cmp.Message(); msg != "" {
			add("regression", msg)
		}
	}
	if h := spec.Heap; h != nil {
		add("heap", h.Text)
		add("heap_freed_by_gc_mb", mbValue(float64(h.FreedBytes)))
		add("heap_cyclic_garbage", strconv.FormatBool(h.CyclicGarbage))
	}
	for _, ext := range []string{"csv", "log", "png", "svg", "pyheap.txt", "pyheap.json"} {
		rel := filepath.Join(suite, spec.File+"."+ext)
		if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
			add(strings.ReplaceAll(ext, ".", "_"), filepath.ToSlash(rel))
		}
	}
	for _, e := range sr.ReportEntries {
		if !strings.HasPrefix(e.Name, "leakspec.") {
			value := e.Value.Representation
			if value == "" {
				value = e.StringRepresentation()
			}
			add(e.Name, value)
		}
	}
	return props
}

// failureText is the body of a failure: the message with its chart, and
// where the spec failed.
func failureText(s types.SpecReport) string {
	var b strings.Builder
	b.WriteString(s.Failure.Message)
	if s.Failure.ForwardedPanic != "" {
		fmt.Fprintf(&b, "\n%s", s.Failure.ForwardedPanic)
	}
	fmt.Fprintf(&b, "\nIn [%s] at: %s", s.Failure.FailureNodeType, s.Failure.Location)
	if s.Failure.Location.FullStackTrace != "" && s.State == types.SpecStatePanicked {
		fmt.Fprintf(&b, "\n%s", s.Failure.Location.FullStackTrace)
	}
	// A spec that timed out or was interrupted keeps the failure its node
	// then recorded on its way out: what it was waiting for.
	if extra := s.Failure.AdditionalFailure; extra != nil {
		fmt.Fprintf(&b, "\n\nThen: %s\nat: %s", extra.Failure.Message, extra.Failure.Location)
	}
	for _, extra := range s.AdditionalFailures {
		fmt.Fprintf(&b, "\n\nThen, in [%s]: %s\nat: %s", extra.Failure.FailureNodeType, extra.Failure.Message, extra.Failure.Location)
	}
	return b.String()
}

// junitTime prints seconds with millisecond precision, the most the
// Jenkins schema's time type takes.
func junitTime(seconds float64) string { return strconv.FormatFloat(seconds, 'f', 3, 64) }

// mbValue prints bytes (or bytes per minute) as decimal megabytes with one
// decimal, without a unit: the property's name carries it. A value that
// rounds to zero is "0.0", never "-0.0", as in the matchers' messages.
func mbValue(bytes float64) string {
	v := strconv.FormatFloat(bytes/float64(bytesize.MB), 'f', 1, 64)
	if v == "-0.0" {
		return "0.0"
	}
	return v
}
