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
// any other matcher.
func BoundOf(m types.GomegaMatcher) (Bound, bool) {
	if m, ok := m.(*matcher); ok {
		return m.judge.bound(), true
	}
	return Bound{}, false
}
