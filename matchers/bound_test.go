package matchers

import (
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
)

func TestBoundOf(t *testing.T) {
	tests := []struct {
		name string
		m    types.GomegaMatcher
		want Bound
		ok   bool
	}{
		{"PlateauWithin", PlateauWithin(32 * MB), Bound{Expectation: "plateau within 32.0 MB", Budget: 32 * MB}, true},
		{"PlateauWithin with options", PlateauWithin(48*MiB, Windows(8)), Bound{Expectation: "plateau within 50.3 MB", Budget: 48 * MiB}, true},
		{"StayBelow", StayBelow(1 * GB), Bound{Expectation: "stay below 1000.0 MB", Limit: 1 * GB}, true},
		{"GrowLessThan", GrowLessThan(16 * MB), Bound{Expectation: "grow less than 16.0 MB", Budget: 16 * MB}, true},
		{"HaveSlopeBelow", HaveSlopeBelow(MBPerMinute(5)), Bound{Expectation: "have a slope below 5.0 MB/min"}, true},
		{"ReturnToBaseline", ReturnToBaseline(8*MB, DecayLimit(time.Minute)), Bound{Expectation: "return to within 8.0 MB of its baseline"}, true},
		{"GrowLessThanPerEvent", GrowLessThanPerEvent(64*KB, "retry"), Bound{Expectation: `grow less than 64.0 kB per "retry"`}, true},
		{"a Gomega matcher", gomega.BeNil(), Bound{}, false},
		{"a wrapped PlateauWithin", wrapped{PlateauWithin(32 * MB)}, Bound{Expectation: "plateau within 32.0 MB", Budget: 32 * MB}, true},
		{"a wrapped Gomega matcher", wrapped{gomega.BeNil()}, Bound{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := BoundOf(tt.m)
			if got != tt.want || ok != tt.ok {
				t.Errorf("BoundOf = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// wrapped is a matcher that wraps another, as fixtures' Run.Explain does.
type wrapped struct{ types.GomegaMatcher }

func (w wrapped) Unwrap() types.GomegaMatcher { return w.GomegaMatcher }
