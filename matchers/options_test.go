package matchers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/matchers"
)

func TestOptionsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		m    types.GomegaMatcher
		want string
	}{
		{"a confidence of 1", matchers.GrowLessThan(matchers.MB, matchers.Confidence(1)),
			"GrowLessThan needs a confidence strictly between 0.5 and 1, but Confidence(1) was given"},
		{"a confidence of a half", matchers.HaveSlopeBelow(matchers.MBPerMinute(1), matchers.Confidence(0.5)),
			"HaveSlopeBelow needs a confidence strictly between 0.5 and 1, but Confidence(0.5) was given"},
		{"windows of no length", matchers.PlateauWithin(matchers.MB, matchers.WindowSize(0)),
			"PlateauWithin needs windows longer than zero, but WindowSize(0s) was given"},
		{"no decay limit", matchers.ReturnToBaseline(matchers.MB, matchers.DecayLimit(0)),
			"ReturnToBaseline needs a decay limit longer than zero, but DecayLimit(0s) was given"},
		{"a warm-up where there is none", matchers.ReturnToBaseline(matchers.MB, matchers.WarmUp(time.Second)),
			"ReturnToBaseline does not use the option WarmUp; it takes WindowSize, DecayLimit"},
		{"a decay limit where there is no load", matchers.GrowLessThanPerEvent(matchers.MB, "retry", matchers.DecayLimit(time.Second)),
			"GrowLessThanPerEvent does not use the option DecayLimit; it takes WarmUp, Windows, WindowSize, Confidence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ok, err := tt.m.Match(climb()); ok || err == nil || err.Error() != tt.want {
				t.Errorf("Match = %v, %v\nwant false, %s", ok, err, tt.want)
			}
		})
	}
}

func TestOptionsChangeTheJudgement(t *testing.T) {
	// climb after a warm-up of 9 s, in six windows of a second, peaks at
	// 130, 140, ... 170 and 190 MB: the medians of the first and last two
	// are 135 and 180 MB. In windows of 2 s after the default 3 s it peaks
	// at 80, 100, ... 160 and 190 MB: 90 and 175 MB. At 99.9 % the upper
	// bound of its slope reaches the pairs that end at the higher last
	// peak.
	tests := []struct {
		name string
		opts []matchers.Option
		want string
	}{
		{"WarmUp", []matchers.Option{matchers.WarmUp(9 * time.Second), matchers.Windows(6)}, "after the 9.0 s warm-up the peaks of 6 windows of 1.0 s rose +45.0 MB"},
		{"WindowSize", []matchers.Option{matchers.WindowSize(2 * time.Second)}, "after the 3.0 s warm-up the peaks of 6 windows of 2.0 s rose +85.0 MB"},
		{"Windows", []matchers.Option{matchers.Windows(6)}, "after the 3.0 s warm-up the peaks of 6 windows of 2.0 s rose +85.0 MB"},
		{"Confidence", []matchers.Option{matchers.Confidence(0.999)}, "(99.9 %: 600.0 to 657.5 MB/min)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.PlateauWithin(32*matchers.MB, tt.opts...)
			if got := m.FailureMessage(climb()); !strings.Contains(got, tt.want) {
				t.Errorf("message =\n%s\nwant it to contain %q", got, tt.want)
			}
		})
	}
}
