package matchers

import "github.com/onsi/gomega/types"

// Bound is what one of this package's matchers holds a recording to, for
// reports that tell it (a JUnit property, the index) or draw it (the budget
// band of a plot).
type Bound struct {
	// Expectation reads after "Expected memory to", as in the failure
	// message: "plateau within 32.0 MB", "stay below 256.0 MB".
	Expectation string
	// Budget is PlateauWithin's budget, the growth its peaks may show, and
	// Limit StayBelow's limit, in bytes; each is 0 for the other matcher.
	Budget uint64
	Limit  uint64
}

// BoundOf returns the bound of a matcher made by this package, and false for
// any other matcher.
func BoundOf(m types.GomegaMatcher) (Bound, bool) {
	switch m := m.(type) {
	case *plateauWithinMatcher:
		return Bound{Expectation: "plateau within " + mb(float64(m.budget)), Budget: m.budget}, true
	case *stayBelowMatcher:
		return Bound{Expectation: "stay below " + mb(float64(m.limit)), Limit: m.limit}, true
	}
	return Bound{}, false
}
