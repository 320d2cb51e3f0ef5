package stats

import "time"

// Evidence is what a judgement shows about a bound at its confidence.
type Evidence int

const (
	// Unsure: the data shows neither that the series keeps within the
	// bound nor that it goes beyond it.
	Unsure Evidence = iota
	// Within: the series keeps within the bound, with the confidence asked.
	Within
	// Beyond: the series goes beyond the bound, with the confidence asked.
	Beyond
)

func (e Evidence) String() string {
	switch e {
	case Within:
		return "within"
	case Beyond:
		return "beyond"
	default:
		return "unsure"
	}
}

// horizonOf returns the time a trend is projected over: the planned length
// of the run when one is given, and never less than the series itself.
func horizonOf(planned, recorded time.Duration) time.Duration {
	return max(planned, recorded)
}
