package reports

import (
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/leakspec/leakspec/worker/recording"
)

// Judgment is one assertion a spec made about its recording, as the reports
// tell it: what was expected, against which budget, and whether the
// recording met it.
type Judgment struct {
	// Expectation reads after "memory should": "plateau within 32.0 MB".
	Expectation string `json:"expectation"`
	// Budget is the growth a plateau matcher allows, in bytes, and Limit
	// the size a ceiling matcher (StayBelow) allows; 0 when the matcher has
	// none.
	Budget uint64 `json:"budget_bytes,omitempty"`
	Limit  uint64 `json:"limit_bytes,omitempty"`
	// Met says whether the recording satisfied the matcher.
	Met bool `json:"met"`
	// Leak says that the spec expected the matcher to fail: a positive
	// control, whose known leak must be caught.
	Leak bool `json:"leak,omitempty"`
	// Series is the measure the matcher judged, such as PSS for a forked
	// pool; empty for the tree's RSS.
	Series recording.Series `json:"series,omitempty"`
	// Caveat is what the spec's author should know of a pass
	// (matchers.Caveat): memory still rising when the run ended.
	Caveat string `json:"caveat,omitempty"`
}

// Verdicts, as the first word of a Verdict.
const (
	VerdictPass      = "pass"
	VerdictFail      = "fail"
	VerdictCaught    = "leak caught"
	VerdictMissed    = "leak missed"
	VerdictRegressed = "regressed"
	VerdictAborted   = "aborted"
	VerdictSkipped   = "skipped"
)

// Verdict sums up in a few words what a spec found about memory, for a
// plot's title, a JUnit property and the index: "pass", "fail: did not
// plateau within 32.0 MB", "leak caught: did not plateau within 32.0 MB",
// "regressed: peak +65 % on the baseline". It is drawn from the spec's state
// and the judgments and comparison it filed, so a spec that failed for a
// reason other than memory (its worker would not start, say) reads
// "fail" with that state's name when it is not a plain failure.
func Verdict(state types.SpecState, judgments []Judgment, cmp *Comparison, aborted string) string {
	switch {
	case state.Is(types.SpecStateSkipped | types.SpecStatePending):
		return VerdictSkipped
	case aborted != "":
		return VerdictAborted + ": " + strings.TrimRight(aborted, ". ")
	}
	for _, j := range judgments {
		switch {
		case j.Leak && j.Met:
			return VerdictMissed + ": it did " + j.Expectation
		case !j.Leak && !j.Met:
			return VerdictFail + ": did not " + j.Expectation
		}
	}
	if cmp != nil {
		if failed := cmp.Regressions(); len(failed) > 0 {
			return VerdictRegressed + ": " + failed[0].Short()
		}
	}
	if state != types.SpecStatePassed {
		if state == types.SpecStateFailed {
			return VerdictFail
		}
		return VerdictFail + " (" + state.String() + ")"
	}
	for _, j := range judgments {
		if j.Leak {
			return VerdictCaught + ": did not " + j.Expectation
		}
	}
	return VerdictPass
}

// growthBudget returns the tightest plateau budget and the tightest limit
// among judgments that expect good behaviour; 0 when there is none.
func growthBudget(judgments []Judgment) (budget, limit uint64) {
	for _, j := range judgments {
		if j.Budget > 0 && (budget == 0 || j.Budget < budget) {
			budget = j.Budget
		}
		if j.Limit > 0 && (limit == 0 || j.Limit < limit) {
			limit = j.Limit
		}
	}
	return budget, limit
}

// judgedSeries returns the measure of the judgment with the tightest
// budget, whose band a plot draws; empty for the tree's RSS, or when no
// judgment has a budget.
func judgedSeries(judgments []Judgment) recording.Series {
	var (
		series recording.Series
		budget uint64
	)
	for _, j := range judgments {
		if j.Budget > 0 && (budget == 0 || j.Budget < budget) {
			series, budget = j.Series, j.Budget
		}
	}
	return series
}

// ExpectsLeak reports whether a spec asserted a leak: a positive control,
// which a baseline comparison leaves alone, since it is meant to leak.
func ExpectsLeak(judgments []Judgment) bool {
	for _, j := range judgments {
		if j.Leak {
			return true
		}
	}
	return false
}

// Outcomes a run's index counts and filters by: what a person reading it
// acts on, ranked so that the outcomes that need them come first.
const (
	OutcomeFailed       = "failed"
	OutcomeRegressed    = "regressed"
	OutcomeInconclusive = "inconclusive"
	OutcomeCaught       = "leak caught"
	OutcomePassed       = "passed"
	OutcomeSkipped      = "skipped"
)

// outcomeRank orders the outcomes, failures first.
var outcomeRank = map[string]int{
	OutcomeFailed: 0, OutcomeRegressed: 1, OutcomeInconclusive: 2,
	OutcomeCaught: 3, OutcomePassed: 4, OutcomeSkipped: 5,
}

// Outcome sorts a spec into one of the outcomes above. A failure whose
// message says a matcher was inconclusive (the recording was too short to
// judge) is told apart from a failure on memory: its cure is a longer run,
// not a fix. A missed leak and an aborted run are failures.
func Outcome(spec SpecSummary) string {
	switch {
	case strings.HasPrefix(spec.Verdict, VerdictSkipped):
		return OutcomeSkipped
	case strings.HasPrefix(spec.Verdict, VerdictRegressed):
		return OutcomeRegressed
	case spec.State != "passed" && strings.Contains(spec.Failure, " is inconclusive: "):
		return OutcomeInconclusive
	case spec.State != "passed":
		return OutcomeFailed
	case strings.HasPrefix(spec.Verdict, VerdictCaught):
		return OutcomeCaught
	}
	return OutcomePassed
}
