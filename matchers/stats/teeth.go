package stats

import (
	"math"
	"slices"
	"time"
)

// MinTeeth is the fewest drops that make a series a sawtooth whose period
// Teeth tells: one drop is a step, such as a collector finally running.
const MinTeeth = 3

// Teeth finds the teeth of a sawtooth in the series (at, v): the drops where
// a job's memory was given back, and the median time between them. A drop
// is a fall between consecutive samples of more than six robust standard
// deviations of the series' sample-to-sample changes and more than a
// quarter of its spread (the 10th to the 90th percentile); consecutive
// falling samples are one drop. Noise, a wander, a leak and a flat series
// have no such drops, and with fewer than MinTeeth drops Teeth returns a
// period of zero.
//
// A window shorter than a tooth may miss the tooth's top and bottom, which
// makes its maximum and minimum noise; the matchers keep their windows at
// least two teeth long.
func Teeth(at []time.Duration, v []float64) (period time.Duration, drops int) {
	if len(v) < 3 {
		return 0, 0
	}
	deltas := make([]float64, len(v)-1)
	for i := 1; i < len(v); i++ {
		deltas[i-1] = v[i] - v[i-1]
	}
	center := Median(deltas)
	abs := make([]float64, len(deltas))
	for i, d := range deltas {
		abs[i] = math.Abs(d - center)
	}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	spread := sorted[len(sorted)*9/10] - sorted[len(sorted)/10]
	threshold := max(6*madToSigma*Median(abs), spread/4)
	if threshold <= 0 {
		return 0, 0
	}
	var starts []time.Duration
	falling := false
	for i, d := range deltas {
		drop := -d > threshold
		if drop && !falling {
			starts = append(starts, at[i])
		}
		falling = drop
	}
	if len(starts) < MinTeeth {
		return 0, len(starts)
	}
	gaps := make([]float64, len(starts)-1)
	for i := 1; i < len(starts); i++ {
		gaps[i-1] = float64(starts[i] - starts[i-1])
	}
	return time.Duration(Median(gaps)), len(starts)
}
