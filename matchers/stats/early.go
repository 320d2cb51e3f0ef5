package stats

import "time"

// InterimConfidence is the confidence an interim look must reach to stop a
// run early.
const InterimConfidence = 0.999

// LookTimes returns the times of k looks equally spaced over length, the
// last at length.
func LookTimes(length time.Duration, k int) []time.Duration {
	looks := make([]time.Duration, k)
	for i := range looks {
		looks[i] = time.Duration(float64(length) * float64(i+1) / float64(k))
	}
	if k > 0 {
		looks[k-1] = length
	}
	return looks
}

// FalseAlarmBound returns the union bound on the false-alarm rate of an
// early-stopping run with k looks whose last look has the false-alarm rate
// alpha.
func FalseAlarmBound(alpha float64, k int) float64 {
	return alpha + float64(max(k-1, 0))*(1-InterimConfidence)
}
