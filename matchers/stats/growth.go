package stats

import "time"

// Growth judges how far the floor of a series (the minima of its windows,
// the memory the runtime kept) rose from the start of the judged time to
// its end.
type Growth struct {
	Envelope
	// Limit is the growth allowed, Confidence the one-sided confidence of
	// the margin and the bounds, Horizon the time the trend is projected
	// over (see Plateau).
	Limit      float64
	Confidence float64
	Horizon    time.Duration
	// Ends is how many windows at each end are pooled into Start and End,
	// the medians of their floors; Rise is End minus Start and Margin the
	// noise in that difference at Confidence.
	Ends       int
	Start, End float64
	Rise       float64
	Margin     float64
	// Trend is the Theil–Sen slope of the floors, in bytes per minute; it
	// only serves to tell early whether the floor will stay within Limit.
	Trend Trend
}

// JudgeGrowth judges the floor of e against limit at the given one-sided
// confidence. e must hold at least MinPoints points.
func JudgeGrowth(e Envelope, limit, confidence float64, horizon time.Duration) Growth {
	g := Growth{Envelope: e, Limit: limit, Confidence: confidence, Horizon: horizonOf(horizon, e.Duration)}
	minutes, floors, _ := e.Floors()
	g.Trend = Sen(minutes, floors, confidence)
	g.Ends = endWindows(len(floors))
	g.Start = Median(floors[:g.Ends])
	g.End = Median(floors[len(floors)-g.Ends:])
	g.Rise = g.End - g.Start
	g.Margin = levelMargin(Z(confidence), LocalNoise(floors), g.Ends)
	return g
}

// Evidence is Beyond when the floor rose by the limit or more beyond the
// noise margin; Within when it rose less than the limit with the margin
// added and the upper bound of its trend, projected over the time judged
// by the horizon, stays below it too; Unsure otherwise.
func (g Growth) Evidence() Evidence {
	switch {
	case g.Rise-g.Margin >= g.Limit:
		return Beyond
	case g.Rise+g.Margin < g.Limit && max(g.Trend.Upper, 0)*max(g.Horizon-g.WarmUp, g.Judged).Minutes()+g.Margin < g.Limit:
		return Within
	default:
		return Unsure
	}
}
