package matchers

import "github.com/onsi/gomega/types"

// Bound is what one of this package's matchers holds a recording to, for
// reports that tell it (a JUnit property, the index) or draw it (the budget
// band of a plot).
type Bound struct {
	// Expectation reads after "Expected memory to", as in the failure
	// message: "plateau within 32.0 MB", "stay below 256.0 MB".
	Expectation string
	// Budget is the growth a matcher allows above the run's early level
	// (PlateauWithin's budget, GrowLessThan's limit) and Limit the size
	// StayBelow allows, in bytes; each is 0 for the matchers that have
	// none.
	Budget uint64
	Limit  uint64
}

// BoundOf returns the bound of a matcher made by this package, and false for
// any other matcher. A matcher that wraps another (one that only changes
// the messages, such as fixtures' Run.Explain) says so with a method
// Unwrap() types.GomegaMatcher, and has the bound of the one it wraps.
func BoundOf(m types.GomegaMatcher) (Bound, bool) {
	w, ok := unwrap(m)
	if !ok {
		return Bound{}, false
	}
	return w.judge.bound(), true
}

// unwrap returns the matcher of this package that m is or wraps, through
// any number of Unwrap() types.GomegaMatcher methods.
func unwrap(m types.GomegaMatcher) (*matcher, bool) {
	for {
		switch w := m.(type) {
		case *matcher:
			return w, true
		case interface{ Unwrap() types.GomegaMatcher }:
			m = w.Unwrap()
		default:
			return nil, false
		}
	}
}
