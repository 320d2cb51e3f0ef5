package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestZ(t *testing.T) {
	for conf, want := range map[float64]float64{0.5: 0, 0.95: 1.6449, 0.975: 1.9600, 0.999: 3.0902} {
		if got := Z(conf); math.Abs(got-want) > 1e-4 {
			t.Errorf("Z(%v) = %.4f, want %.4f", conf, got, want)
		}
	}
}

func TestSenByHand(t *testing.T) {
	// Seven points. Their 21 pairwise slopes, sorted:
	//   -2 -1 .5 .5 .5 .5 1 1 1.2 4/3 4/3 1.5 1.5 1.5 5/3 2 2 2.5 3 3 4
	// The median, the 11th, is 4/3. Kendall's S has a variance of
	// 7·6·19/18 = 44.33 without ties, so at 95 % C = 1.6449·√44.33 = 10.95:
	// the lower bound sits at rank (21-C)/2 = 5.02, between the 5th and 6th
	// slopes (both .5), the upper at rank (21+C)/2+1 = 16.98, between the
	// 16th and 17th (both 2). The residuals y - 4/3·x are 0, 5/3, -5/3, 0,
	// 2/3, -5/3, 1: their lag-1 autocorrelation, -0.57, is far from
	// significant.
	x := []float64{0, 1, 2, 3, 4, 5, 6}
	y := []float64{0, 3, 1, 4, 6, 5, 9}
	got := Sen(x, y, 0.95)
	want := Trend{Slope: 4.0 / 3, Lower: 0.5, Upper: 2, Points: 7, Pairs: 21, Autocorrelation: 0, Inflation: 1}
	if !nearTrend(got, want) {
		t.Errorf("Sen =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSenOnALine(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5, 6, 7}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 5 - 3*x[i]
	}
	got := Sen(x, y, 0.95)
	if got.Slope != -3 || got.Lower != -3 || got.Upper != -3 {
		t.Errorf("Sen on an exact line = %+v, want slope and bounds -3", got)
	}
}

func TestSenIsBlindToAConstantShift(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 12)
	y := make([]float64, 12)
	for i := range x {
		x[i] = float64(i) * 0.35
		y[i] = math.Round(1e8 + 2e6*x[i] + 3e6*r.NormFloat64())
	}
	base := Sen(x, y, 0.95)
	for _, shift := range []float64{1, 4096, 3e9, 1 << 40} {
		shifted := make([]float64, len(y))
		for i := range y {
			shifted[i] = y[i] + shift
		}
		if got := Sen(x, shifted, 0.95); got != base {
			t.Errorf("shifted by %v: Sen = %+v, want %+v", shift, got, base)
		}
	}
}

func TestSenWithTooLittle(t *testing.T) {
	t.Run("no two distinct x", func(t *testing.T) {
		got := Sen([]float64{3, 3}, []float64{1, 2}, 0.95)
		if !math.IsNaN(got.Slope) || !math.IsInf(got.Lower, -1) || !math.IsInf(got.Upper, 1) || got.Pairs != 0 {
			t.Errorf("Sen = %+v, want a NaN slope and infinite bounds", got)
		}
	})
	t.Run("four points cannot be bounded at 95 %", func(t *testing.T) {
		// Four points give 6 pairs and C = 1.6449·√(4·3·13/18) = 4.84, so
		// the lower bound would sit at rank 0.58, below the first.
		got := Sen([]float64{0, 1, 2, 3}, []float64{0, 1, 2, 3}, 0.95)
		if got.Slope != 1 || !math.IsInf(got.Lower, -1) || !math.IsInf(got.Upper, 1) {
			t.Errorf("Sen = %+v, want slope 1 and infinite bounds", got)
		}
	})
	t.Run("mismatched lengths panic", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("Sen did not panic on x and y of different lengths")
			}
		}()
		Sen([]float64{1, 2}, []float64{1}, 0.95)
	})
}

func TestKendallVarianceWithTies(t *testing.T) {
	// n = 4 with one pair tied in x and one in y: (4·3·13 - 2·1·9 - 2·1·9)/18
	// = 120/18, plus (2·1)(2·1)/(2·4·3) = 1/6 for the pairs tied in both.
	got := kendallVariance([]float64{1, 1, 2, 3}, []float64{2, 2, 4, 6})
	if want := 120.0/18 + 1.0/6; math.Abs(got-want) > 1e-12 {
		t.Errorf("kendallVariance = %v, want %v", got, want)
	}
}

func TestSenWidensForAutocorrelation(t *testing.T) {
	// A slow wave around a line leaves residuals that stay on one side of
	// it for several points in a row: the bounds must widen, but no
	// further than MinEffectivePoints allows.
	x := make([]float64, 12)
	y := make([]float64, 12)
	for i := range x {
		x[i] = float64(i)
		y[i] = 0.5*x[i] + 3*math.Sin(x[i]/2)
	}
	got := Sen(x, y, 0.95)
	if got.Autocorrelation <= 0.5 || got.Inflation <= 1 || got.Inflation > 12.0/MinEffectivePoints {
		t.Errorf("Sen of a wave: autocorrelation %.2f, inflation %.2f; want above 0.5, and above 1 up to %v",
			got.Autocorrelation, got.Inflation, 12.0/MinEffectivePoints)
	}
	if math.IsInf(got.Lower, 0) || math.IsInf(got.Upper, 0) {
		t.Errorf("Sen of a wave: bounds %v to %v, want them finite", got.Lower, got.Upper)
	}
}

// TestSenBoundsCoverage checks by simulation that the bounds keep close to
// their confidence: on a dozen points with independent noise the true slope
// lies above the 95 % lower bound about 5 % of the time (4.0 % measured).
// With AR(1) noise the correction only partly makes up for a dozen points:
// 12.7 % at ρ = 0.5, and 10.2 % with two dozen points. The numbers are seeded, so this
// test is deterministic; its bands leave room for a change of the
// estimator, not for chance.
func TestSenBoundsCoverage(t *testing.T) {
	tests := []struct {
		rho    float64
		n      int
		lo, hi float64
	}{
		{0, 12, 0.02, 0.07},
		{0.5, 12, 0.05, 0.16},
		{0.5, 24, 0.03, 0.12},
	}
	for _, tt := range tests {
		r := rand.New(rand.NewPCG(1, uint64(tt.n)))
		const trials = 2000
		missed := 0
		for range trials {
			x := make([]float64, tt.n)
			y := make([]float64, tt.n)
			e := r.NormFloat64() / math.Sqrt(1-tt.rho*tt.rho)
			for i := range x {
				x[i] = float64(i)
				e = tt.rho*e + r.NormFloat64()
				y[i] = 2*x[i] + e
			}
			if Sen(x, y, 0.95).Lower > 2 {
				missed++
			}
		}
		if rate := float64(missed) / trials; rate < tt.lo || rate > tt.hi {
			t.Errorf("ρ %.1f, %d points: the 95 %% lower bound lay above the true slope in %.1f %% of the series, want %.0f %% to %.0f %%",
				tt.rho, tt.n, 100*rate, 100*tt.lo, 100*tt.hi)
		}
	}
}

func nearTrend(a, b Trend) bool {
	close := func(p, q float64) bool { return p == q || math.Abs(p-q) <= 1e-9*math.Max(math.Abs(p), math.Abs(q)) }
	return close(a.Slope, b.Slope) && close(a.Lower, b.Lower) && close(a.Upper, b.Upper) && a.Points == b.Points &&
		a.Pairs == b.Pairs && close(a.Autocorrelation, b.Autocorrelation) && close(a.Inflation, b.Inflation)
}
