package stats

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// NotEnoughDataError says what a judgement needed and what it got, for the
// judgements that do not cut a series into windows.
type NotEnoughDataError struct {
	Need, Got string
}

func (e *NotEnoughDataError) Error() string {
	return fmt.Sprintf("not enough data (need at least %s; got %s)", e.Need, e.Got)
}

// Return judges whether memory comes back to its level before a load once
// the load has stopped.
type Return struct {
	// Baseline is the median of the BaselineSamples samples taken before
	// LoadStart: the worker idled then, so its level is its baseline, and a
	// median ignores a stray sample.
	Baseline        float64
	BaselineSamples int
	// LoadStart and LoadStop are when the load started and stopped; Peak
	// is the highest sample from LoadStart on and PeakAt its time.
	LoadStart, LoadStop time.Duration
	Peak                float64
	PeakAt              time.Duration
	// Within is how far above Baseline memory may settle, Settle the length
	// of the sliding window whose median is memory's level, and DecayLimit
	// how long after LoadStop memory may take to settle: allocators return
	// freed memory lazily.
	Within     float64
	Settle     time.Duration
	DecayLimit time.Duration
	// After is how long the series runs on after LoadStop.
	After time.Duration
	// Returned says whether a level within Baseline+Within was seen no
	// later than DecayLimit after LoadStop, ReturnedAt the end of the first
	// window that showed it, and Level that level, or the lowest level seen
	// by DecayLimit when memory did not return.
	Returned   bool
	ReturnedAt time.Duration
	Level      float64
	// Levels is how many windows after LoadStop held MinWindowSamples.
	Levels int
}

// JudgeReturn judges the series (at, v) in time order: its baseline is the
// median before loadStart, and it returns when the median of the samples in
// a window of settle, all after loadStop, is at most within above the
// baseline, no later than limit after loadStop. It needs MinWindowSamples
// samples before loadStart, and returns a *NotEnoughDataError otherwise.
func JudgeReturn(at []time.Duration, v []float64, loadStart, loadStop time.Duration, within float64, settle, limit time.Duration) (Return, error) {
	r := Return{LoadStart: loadStart, LoadStop: loadStop, Within: within, Settle: settle, DecayLimit: limit}
	if len(at) != len(v) {
		return r, fmt.Errorf("judge return: %d times but %d values", len(at), len(v))
	}
	start := sort.Search(len(at), func(i int) bool { return at[i] >= loadStart })
	stop := sort.Search(len(at), func(i int) bool { return at[i] >= loadStop })
	r.BaselineSamples = start
	if start < MinWindowSamples {
		return r, &NotEnoughDataError{
			Need: fmt.Sprintf("%d samples before the load started to know the baseline", MinWindowSamples),
			Got:  count(start, "sample"),
		}
	}
	r.Baseline = Median(v[:start])
	if start < len(v) {
		r.PeakAt, r.Peak = Peak(at[start:], v[start:])
	}
	if len(at) > 0 && at[len(at)-1] > loadStop {
		r.After = at[len(at)-1] - loadStop
	}

	first := true
	for j := stop; j < len(at) && at[j]-loadStop <= limit; j++ {
		if at[j]-loadStop < settle {
			continue
		}
		i := sort.Search(j, func(k int) bool { return at[k] > at[j]-settle })
		i = max(i, stop)
		if j-i+1 < MinWindowSamples {
			continue
		}
		level := Median(v[i : j+1])
		r.Levels++
		if first || level < r.Level {
			r.Level = level
		}
		first = false
		if level <= r.Baseline+within {
			r.Returned, r.ReturnedAt, r.Level = true, at[j], level
			break
		}
	}
	if first && stop < len(v) {
		// No full window yet: the lowest sample since the stop is the
		// best hint of where memory is heading.
		r.Level = slices.Min(v[stop:])
	}
	return r, nil
}

// Evidence is Within when memory returned in time, Beyond when the series
// runs on past DecayLimit after LoadStop and it did not, and Unsure while
// it might still.
func (r Return) Evidence() Evidence {
	switch {
	case r.Returned:
		return Within
	case r.After >= r.DecayLimit:
		return Beyond
	default:
		return Unsure
	}
}
