package stats

import (
	"math"
	"slices"
)

// Trend is a Theil–Sen slope with its confidence bounds, in units of y per
// unit of x.
type Trend struct {
	// Slope is the median of the slopes between every pair of points with
	// distinct x.
	Slope float64
	// Lower and Upper bound the slope, each at the confidence the trend was
	// fitted with: the slope is at least Lower, and at most Upper, with that
	// confidence. They are -Inf or +Inf when the points are too few, or too
	// correlated, to bound it on that side.
	Lower, Upper float64
	// Points is how many points the slope was fitted to, Pairs how many
	// pairs of them had distinct x.
	Points, Pairs int
	// Autocorrelation is the lag-1 autocorrelation of the residuals,
	// corrected for its small-sample bias and kept between 0 and
	// MaxAutocorrelation, and Inflation the factor by which it widens the
	// variance of the rank statistic the bounds come from: 1 for
	// independent points.
	Autocorrelation float64
	Inflation       float64
}

// MaxAutocorrelation caps the autocorrelation a Trend corrects for. Beyond
// it the correction would be a division by almost zero, and a series that
// correlated has no trend to speak of: its bounds are infinite anyway.
const MaxAutocorrelation = 0.95

// MinEffectivePoints is the fewest independent points the autocorrelation
// correction may reduce a trend's points to. Fewer would make its bounds
// infinite, which says nothing; and a step in a series (a collector that
// finally runs, a cache that fills) leaves residuals around a line that look
// exactly like strong autocorrelation, so an uncapped correction would throw
// away the plain evidence of a series that dropped.
const MinEffectivePoints = 3

// madToSigma turns a median absolute deviation into the standard deviation
// of the normal distribution it estimates.
const madToSigma = 1.4826

// Z returns the one-sided normal quantile of a confidence: 1.645 for 0.95,
// 3.090 for 0.999.
func Z(confidence float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*confidence-1)
}

// Sen fits the Theil–Sen line through the points (x[i], y[i]) and bounds
// its slope at the given one-sided confidence (0.95: the slope is at least
// Lower with 95 % confidence, and at most Upper with 95 % confidence).
//
// The bounds are Sen's (1968): the pairwise slopes sorted, the bound is the
// one whose rank lies C/2 from the middle, where C is the normal quantile
// times the standard deviation of Kendall's S, the rank statistic of the
// pairs. They assume nothing about the distribution of the noise, which in
// memory series is anything but normal.
//
// They do assume independent points, and memory is not independent from
// one window to the next: a heap that wanders slowly puts neighbouring
// windows on the same side of the line, which makes a trend look surer
// than it is. So the variance of S is inflated by the factor an AR(1)
// process with the residuals' lag-1 autocorrelation implies, 1 + 2 Σ
// (1 - k/n) ρ^k (the variance correction of Hamed and Rao, 1998, restricted
// to an AR(1) structure); ρ is the sample autocorrelation corrected for its
// bias in a short series, (nρ̂ + 1)/(n - 3) (Marriott and Pope, 1954),
// since with a dozen points the raw estimate runs low exactly when it
// matters. Negative estimates count as 0: they would narrow the bounds on
// the strength of a dozen points.
//
// Ties are handled: pairs with equal x carry no slope and are skipped, and
// the variance of S is corrected for tied x and tied y (Kendall, 1970).
//
// Every value is taken relative to y[0] first, so adding a constant to y
// changes no result by even a rounding error. x and y must have the same
// length; Sen panics otherwise, a mismatch being a bug in the caller. With
// no pair of distinct x, Slope is NaN and the bounds infinite.
func Sen(x, y []float64, confidence float64) Trend {
	if len(x) != len(y) {
		panic("stats.Sen: x and y differ in length")
	}
	n := len(x)
	t := Trend{Points: n, Slope: math.NaN(), Lower: math.Inf(-1), Upper: math.Inf(1), Inflation: 1}
	if n == 0 {
		return t
	}
	y0 := y[0]
	rel := make([]float64, n)
	for i := range y {
		rel[i] = y[i] - y0
	}
	slopes := make([]float64, 0, n*(n-1)/2)
	for i := range x {
		for j := i + 1; j < n; j++ {
			if x[j] != x[i] {
				slopes = append(slopes, (rel[j]-rel[i])/(x[j]-x[i]))
			}
		}
	}
	t.Pairs = len(slopes)
	if len(slopes) == 0 {
		return t
	}
	slices.Sort(slopes)
	t.Slope = sortedMedian(slopes)

	residuals := make([]float64, n)
	for i := range x {
		residuals[i] = rel[i] - t.Slope*x[i]
	}
	t.Autocorrelation = correctedAutocorrelation(residuals)
	t.Inflation = min(ar1Inflation(t.Autocorrelation, n), float64(n)/MinEffectivePoints)

	c := Z(confidence) * math.Sqrt(kendallVariance(x, rel)*t.Inflation)
	pairs := float64(len(slopes))
	t.Lower = rank(slopes, (pairs-c)/2)
	t.Upper = rank(slopes, (pairs+c)/2+1)
	return t
}

// rank returns the value of sorted at the 1-based, possibly fractional rank
// r, interpolating between neighbours; -Inf below rank 1 and +Inf above the
// last.
func rank(sorted []float64, r float64) float64 {
	switch {
	case math.IsNaN(r) || r < 1:
		return math.Inf(-1)
	case r > float64(len(sorted)):
		return math.Inf(1)
	}
	i := int(math.Floor(r)) - 1
	frac := r - math.Floor(r)
	if frac == 0 || i+1 >= len(sorted) {
		return sorted[i]
	}
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

// sortedMedian is Median of a slice already in order.
func sortedMedian(sorted []float64) float64 {
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return sorted[mid-1]/2 + sorted[mid]/2
}

// correctedAutocorrelation returns the lag-1 autocorrelation of r, corrected
// for its small-sample bias and clamped to [0, MaxAutocorrelation]. Fewer
// than 4 values, or values that do not vary, have none.
func correctedAutocorrelation(r []float64) float64 {
	n := len(r)
	if n < 4 {
		return 0
	}
	var mean float64
	for _, v := range r {
		mean += v
	}
	mean /= float64(n)
	var num, den float64
	for i, v := range r {
		den += (v - mean) * (v - mean)
		if i+1 < n {
			num += (v - mean) * (r[i+1] - mean)
		}
	}
	if den == 0 {
		return 0
	}
	raw := num / den
	if raw <= (-1+1.96*math.Sqrt(float64(n-2)))/float64(n-1) {
		return 0
	}
	rho := (float64(n)*raw + 2) / float64(n-4)
	return min(max(rho, 0), MaxAutocorrelation)
}

// ar1Inflation returns n/n*, the factor by which the autocorrelation rho of
// an AR(1) process inflates the variance of a sum over n of its values.
func ar1Inflation(rho float64, n int) float64 {
	f, power := 1.0, 1.0
	for k := 1; k < n; k++ {
		power *= rho
		f += 2 * (1 - float64(k)/float64(n)) * power
	}
	return f
}

// kendallVariance returns the variance of Kendall's S for the points under
// independence, corrected for ties in x and in y.
func kendallVariance(x, y []float64) float64 {
	n := float64(len(x))
	tx, ty := tieGroups(x), tieGroups(y)
	sum := func(groups []float64, f func(t float64) float64) float64 {
		var s float64
		for _, t := range groups {
			s += f(t)
		}
		return s
	}
	v5 := func(t float64) float64 { return t * (t - 1) * (2*t + 5) }
	v2 := func(t float64) float64 { return t * (t - 1) }
	v3 := func(t float64) float64 { return t * (t - 1) * (t - 2) }
	v := (n*(n-1)*(2*n+5) - sum(tx, v5) - sum(ty, v5)) / 18
	if n > 2 {
		v += sum(tx, v3) * sum(ty, v3) / (9 * n * (n - 1) * (n - 2))
	}
	if n > 1 {
		v += sum(tx, v2) * sum(ty, v2) / (2 * n * (n - 1))
	}
	return max(v, 0)
}

// tieGroups returns the sizes of the groups of equal values in v that hold
// more than one value.
func tieGroups(v []float64) []float64 {
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	var groups []float64
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		if j-i > 1 {
			groups = append(groups, float64(j-i))
		}
		i = j
	}
	return groups
}
