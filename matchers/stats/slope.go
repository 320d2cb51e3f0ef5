package stats

// Slope judges the rate at which the floor of a series (the minima of its
// windows) rises, against a rate it must stay below.
type Slope struct {
	Envelope
	// Rate is the bound, in bytes per minute, and Confidence the one-sided
	// confidence of the bounds of Trend.
	Rate       float64
	Confidence float64
	// Trend is the Theil–Sen slope of the floors, in bytes per minute.
	Trend Trend
}

// JudgeSlope judges the floor of e against rate, in bytes per minute, at
// the given one-sided confidence. e must hold at least MinPoints points.
func JudgeSlope(e Envelope, rate, confidence float64) Slope {
	minutes, floors, _ := e.Floors()
	return Slope{Envelope: e, Rate: rate, Confidence: confidence, Trend: Sen(minutes, floors, confidence)}
}

// Evidence is Within when the upper bound of the slope is below the rate,
// Beyond when even its lower bound is at or above it, and Unsure otherwise.
func (s Slope) Evidence() Evidence {
	switch {
	case s.Trend.Upper < s.Rate:
		return Within
	case s.Trend.Lower >= s.Rate:
		return Beyond
	default:
		return Unsure
	}
}
