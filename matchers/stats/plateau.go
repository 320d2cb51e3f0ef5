package stats

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Plateau judges the two questions of a plateau: whether the peak envelope
// of a series stops rising (how far its late level stands above its early
// level, and where its trend leads), and how high the series sits once it
// has: how far the late level of its floor stands above the baseline, where
// the load began.
type Plateau struct {
	Envelope
	// Budget is the growth allowed and Confidence the one-sided confidence
	// the bounds are taken at. Horizon is the run as planned, when it may
	// stop early, and never shorter than the series: a plateau is only
	// shown when the trend stays within its share of the budget all the
	// way to the horizon.
	Budget     float64
	Confidence float64
	Horizon    time.Duration
	// Ends is how many windows at each end are pooled into Early and Late,
	// the medians of their peaks. Rise is Late minus Early, and RiseMargin
	// the noise in that difference at Confidence.
	Ends        int
	Early, Late float64
	Rise        float64
	RiseMargin  float64
	// Trend is the Theil–Sen slope of the peaks, in bytes per minute.
	Trend Trend
	// Settled is the median floor of the last Ends windows: what the
	// worker holds between its jobs once the run has gone on, with the
	// memory a job only borrows left out. Start is where the load began,
	// which Level is Settled less: the Baseline, or with FromWarmUp the
	// most the load held as it began, Early (see FromWarmUpEnd).
	// LevelMargin is the noise in that difference at Confidence.
	Settled     float64
	Start       float64
	FromWarmUp  bool
	Level       float64
	LevelMargin float64
	// SettledFrom is where the samples Settled is read from begin: the
	// start of the last Ends windows, or with SettledIdle where the worker
	// was left idle after its load. Idle says which.
	SettledFrom time.Duration
	Idle        bool
}

// MinIdleSamples is the fewest samples of a worker left idle after its load
// that SettledIdle reads its level from: fewer tell too little of their
// noise for a margin. A second at the default 100 ms holds ten.
const MinIdleSamples = 5

// JudgePlateau judges the peak envelope of e against budget at the given
// one-sided confidence; horizon is the planned length of the run, or zero
// for a run of fixed length. e must hold at least MinPoints points.
func JudgePlateau(e Envelope, budget, confidence float64, horizon time.Duration) Plateau {
	p := Plateau{Envelope: e, Budget: budget, Confidence: confidence, Horizon: horizonOf(horizon, e.Duration)}
	minutes, peaks := e.Peaks()
	p.Trend = Sen(minutes, peaks, confidence)
	p.Ends = endWindows(len(peaks))
	p.Early = Median(peaks[:p.Ends])
	p.Late = Median(peaks[len(peaks)-p.Ends:])
	// Samples are whole bytes and a median at most halves a sum of two, so
	// both levels and their difference are exact: a constant shift of the
	// series cannot change the rise by even a rounding error.
	p.Rise = p.Late - p.Early
	p.RiseMargin = levelMargin(Z(confidence), LocalNoise(peaks), p.Ends)
	// The level is measured from the baseline, the least memory of the
	// warm-up, rather than from the first windows after it: a worker can
	// climb to a high level within the warm-up (reference cycles behind a
	// lagging collector fill within seconds) and hold it, with peaks as
	// level as a healthy worker's. The floor, not the peaks, is compared
	// with it, as a job in flight legitimately borrows memory it gives
	// back; both are minima, so noise biases them alike.
	floorMinutes, floors, _ := e.Floors()
	p.Settled = Median(floors[len(floors)-p.Ends:])
	if counted := e.Counted(); len(counted) >= p.Ends {
		p.SettledFrom = counted[len(counted)-p.Ends].Start
	}
	p.Start = e.Baseline
	p.Level = p.Settled - p.Start
	p.LevelMargin = settledMargin(Z(confidence), floorMinutes, floors, p.Ends)
	return p
}

// SettledIdle returns the plateau with its level read from the worker left
// idle after its load, the samples (at, v) from the time since on, instead
// of from the floor of the last windows; the plateau as it was when fewer
// than MinIdleSamples samples follow since. Call it before FromWarmUpEnd.
//
// The floor of a window is what the worker holds between its jobs only if a
// sample falls between two of them. A worker whose jobs each hold a large
// buffer while they run, one after another, is rarely caught between jobs:
// a clean RQ worker whose jobs held 64 MiB for half a second each showed
// floors at +67 MB in some windows and back at its baseline in others, so
// the same spec passed or failed by where its last windows fell. Idle, the
// worker holds only what it kept. The margin is the noise of the idle
// samples (see levelMargin).
func (p Plateau) SettledIdle(at []time.Duration, v []float64, since time.Duration) Plateau {
	first := sort.Search(len(at), func(i int) bool { return at[i] >= since })
	idle := v[first:]
	if len(idle) < MinIdleSamples {
		return p
	}
	// The least of them, as the baseline is the least of the warm-up: two
	// minima, which noise biases alike, where a median against a minimum
	// would count the noise's depth as memory kept.
	p.Settled = slices.Min(idle)
	p.SettledFrom = at[first]
	p.Idle = true
	p.Level = p.Settled - p.Start
	p.LevelMargin = levelMargin(Z(p.Confidence), LocalNoise(idle), len(idle))
	return p
}

// FromWarmUpEnd returns the plateau with its level measured from what the
// load held as it began, the early level of its peaks, instead of from the
// baseline: for a spec that chose its warm-up to say that the load it
// judges begins there, as when a pool's children each hold a message by
// design from their first task on.
//
// Not from the early floor: where several children or threads run jobs,
// the floor dips to what the worker holds between jobs only when their
// pauses coincide, and how often they do drifts with their phases. Two
// Celery children holding 128 MiB each dipped to one child's data while
// their tasks ran in step, and stayed within 90 % of both once the tasks
// drifted apart: a floor 140 MB higher, with peaks level to 0.1 MB. A floor
// that settles within the band the load spanned at its start holds nothing
// the load did not already use; one that settles more than the budget above
// that band's top holds memory taken since. The margin adds the noise of
// the early peaks' level to that of the settled floor.
func (p Plateau) FromWarmUpEnd() Plateau {
	p.Start = p.Early
	p.FromWarmUp = true
	p.Level = p.Settled - p.Start
	// RiseMargin is the noise of a difference of two such levels; one
	// level has 1/√2 of it.
	p.LevelMargin = math.Hypot(p.LevelMargin, p.RiseMargin/math.Sqrt2)
	return p
}

// settledMargin returns the noise margin of a settled level, the median of
// the last ends of floors (at minutes), measured from a baseline taken
// before them. It adds two kinds of noise: that of two levels of ends
// values each, from the differences between neighbouring floors
// (levelMargin), and the slow wander of a heap that fragments and compacts
// between the baseline and the end, which neighbours share and so cannot
// show. The wander is the robust spread of the floors around their
// Theil–Sen line, so that a floor that climbs steadily, which the growth
// question judges, does not count as noise; a floor that moves otherwise
// (a step down) widens it, and the margin, as every margin of a
// fail-on-evidence verdict, errs towards a pass.
func settledMargin(z float64, minutes, floors []float64, ends int) float64 {
	local := levelMargin(z, LocalNoise(floors), ends)
	slope, intercept := TheilSen(minutes, floors)
	r := make([]float64, len(floors))
	for i, f := range floors {
		r[i] = f - (intercept + slope*minutes[i])
	}
	center := Median(r)
	for i := range r {
		r[i] = math.Abs(r[i] - center)
	}
	wander := z * madToSigma * Median(r)
	return math.Hypot(local, wander)
}

// Projected returns the trend carried over a span of time: its estimate
// and its bounds, in bytes.
func (p Plateau) Projected(over time.Duration) (estimate, lower, upper float64) {
	m := over.Minutes()
	return p.Trend.Slope * m, p.Trend.Lower * m, p.Trend.Upper * m
}

// TrendBudget is the share of the budget the projected trend may take: half
// of it. A steady climb that adds half the budget over the run is already a
// leak in the making, even while the peaks are still within the budget.
func (p Plateau) TrendBudget() float64 { return p.Budget / 2 }

// RoseTooFar reports whether the late level stands above the early one by
// more than the budget, beyond the noise.
func (p Plateau) RoseTooFar() bool { return p.Rise-p.RiseMargin > p.Budget }

// SitsTooHigh reports whether the floor settled more than the budget above
// where the load began, beyond the noise: memory the worker took at the start of
// the load and kept, however level it then stayed.
func (p Plateau) SitsTooHigh() bool { return p.Level-p.LevelMargin > p.Budget }

// TrendsTooFar reports whether even the lower bound of the trend, carried
// over the time judged so far, adds more than TrendBudget: growth that has
// already happened, not growth a projection expects.
func (p Plateau) TrendsTooFar() bool { return p.judgedLowerAbove(p.TrendBudget()) }

// judgedLowerAbove reports whether the lower bound of the trend, carried
// over the time judged so far, adds more than limit bytes.
func (p Plateau) judgedLowerAbove(limit float64) bool {
	_, lower, _ := p.Projected(p.Judged)
	return lower > limit
}

// StillRisingShare is the share of the budget that the lower bound of the
// trend, carried over the time judged, must add for a run that passed to be
// told that it was still rising: half of what fails it (TrendBudget).
const StillRisingShare = 0.25

// StillRising reports whether even the lower bound of the trend, carried over
// the time judged, adds StillRisingShare of the budget: a climb too small to
// fail the run, which the same climb over a longer run would. A slow leak
// under too short a load passes this way (a forking RQ worker keeping 0.4 KB
// a job rose at least 0.6 MB/min, 1.2 MB over its run, under a 3 MB budget).
func (p Plateau) StillRising() bool { return p.judgedLowerAbove(p.Budget * StillRisingShare) }

// JudgedToFail returns how long a run must judge, after its warm-up, for a
// climb at the lower bound of the trend to add TrendBudget, which fails it;
// zero when that bound is not above zero.
func (p Plateau) JudgedToFail() time.Duration {
	if !(p.Trend.Lower > 0) {
		return 0
	}
	return time.Duration(p.TrendBudget() / p.Trend.Lower * float64(time.Minute))
}

// Planned returns the time the run will have judged at its horizon: the
// horizon less the warm-up.
func (p Plateau) Planned() time.Duration {
	return max(p.Horizon-p.WarmUp, p.Judged)
}

// ClimbedPastBudget reports whether even the lower bound of the trend,
// carried over the time judged so far, adds more than the whole budget:
// growth no plateau within the budget can hold, wherever it stops.
func (p Plateau) ClimbedPastBudget() bool { return p.judgedLowerAbove(p.Budget) }

// Evidence is Beyond when the peaks rose too far or trend too far, or when
// the floor sits too high at the horizon; Within when neither the rise nor
// the level with their margins nor the upper bound of the trend projected
// to the horizon leaves the budget; and Unsure otherwise. A floor that sits
// too high before the horizon is Unsure, not Beyond: a lagging collector
// or allocator may still give it back (a GC-lagged step down), and only
// the level the run ends on says that it stayed. For a
// run of fixed length the horizon is the series itself; for a run that may
// stop early, Within promises a plateau to its planned end, while Beyond
// never rests on a projection: a bounded cache still filling just after the
// warm-up climbs steeply for a while and then stops, and projecting that
// climb forward would fail it on growth that never comes.
//
// For the same reason a trend is Beyond before the horizon only once the
// growth it has already shown exceeds the whole budget, not half of it: a
// climb of more than half the budget over the time judged so far may be a
// cache filling past the warm-up, within the plateau the budget allows (a
// Celery worker failing 200 tasks a second climbed for 3 s past its 2 s
// warm-up and then held, and an interim look called it "kept growing"). At
// the horizon, judged over the whole run, a climb that stopped trends
// within half the budget, and one that goes on does not.
func (p Plateau) Evidence() Evidence {
	_, _, upper := p.Projected(p.Planned())
	atHorizon := p.Duration >= p.Horizon
	switch {
	case p.RoseTooFar() || (p.TrendsTooFar() && (atHorizon || p.ClimbedPastBudget())) || (p.SitsTooHigh() && atHorizon):
		return Beyond
	case p.Rise+p.RiseMargin <= p.Budget && p.Level+p.LevelMargin <= p.Budget && upper <= p.TrendBudget():
		return Within
	default:
		return Unsure
	}
}
