package reports

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func TestVerdict(t *testing.T) {
	plateau := Judgment{Expectation: "plateau within 32.0 MB", Budget: 32_000_000, Met: true}
	grew := plateau
	grew.Met = false
	caught := Judgment{Expectation: "plateau within 32.0 MB", Budget: 32_000_000, Met: false, Leak: true}
	missed := caught
	missed.Met = true
	below := Judgment{Expectation: "stay below 256.0 MB", Limit: 256_000_000, Met: true}
	regressed := &Comparison{Checks: []Check{{Figure: "peak", Now: 412, Reference: 250, Regressed: true}}}
	same := &Comparison{Checks: []Check{{Figure: "peak", Now: 250, Reference: 250}}}

	tests := []struct {
		name      string
		state     types.SpecState
		judgments []Judgment
		cmp       *Comparison
		aborted   string
		want      string
	}{
		{"a plateau", types.SpecStatePassed, []Judgment{plateau, below}, same, "", "pass"},
		{"no judgment", types.SpecStatePassed, nil, nil, "", "pass"},
		{"growth beyond the budget", types.SpecStateFailed, []Judgment{grew, below}, nil, "", "fail: did not plateau within 32.0 MB"},
		{"a positive control", types.SpecStatePassed, []Judgment{caught}, nil, "", "leak caught: did not plateau within 32.0 MB"},
		{"a positive control that missed", types.SpecStateFailed, []Judgment{missed}, nil, "", "leak missed: it did plateau within 32.0 MB"},
		{"a regression within the budget", types.SpecStateFailed, []Judgment{plateau}, regressed, "", "regressed: peak +65 % on the baseline"},
		{"a budget failure outranks a regression", types.SpecStateFailed, []Judgment{grew}, regressed, "", "fail: did not plateau within 32.0 MB"},
		{"aborted at the ceiling", types.SpecStateFailed, []Judgment{grew}, nil, "the tree crossed the 4.3 GB ceiling.", "aborted: the tree crossed the 4.3 GB ceiling"},
		{"a failure elsewhere", types.SpecStateFailed, nil, nil, "", "fail"},
		{"a timeout", types.SpecStateTimedout, []Judgment{plateau}, nil, "", "fail (timedout)"},
		{"skipped", types.SpecStateSkipped, nil, nil, "", "skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verdict(tt.state, tt.judgments, tt.cmp, tt.aborted); got != tt.want {
				t.Errorf("Verdict = %q, want %q", got, tt.want)
			}
		})
	}
}
