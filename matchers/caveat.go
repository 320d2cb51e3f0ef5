package matchers

import (
	"github.com/onsi/gomega/types"
)

// Caveat returns what the author of a spec should know of a recording that m
// passes, in sentences, or "" when there is nothing to tell, when m fails
// the recording or cannot judge it, or when m is not one of this package's
// (or does not wrap one, as fixtures' decisions do). PlateauWithin tells of
// memory that was still rising when the run ended, steadily enough that a
// longer run would fail: the mark of a slow leak under too short a load.
//
//	Expect(rec).To(PlateauWithin(32 * MB))
//	if note := matchers.Caveat(rec, PlateauWithin(32*MB)); note != "" {
//		AddReportEntry("caveat", note)
//	}
func Caveat(actual any, m types.GomegaMatcher) string {
	w, ok := unwrap(m)
	if !ok {
		return ""
	}
	f, err := w.find(actual, look{})
	if err != nil || !f.passed {
		return ""
	}
	return f.caveat
}
