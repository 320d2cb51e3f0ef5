package matchers

import (
	"fmt"
	"slices"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// stayBelow is the judge of StayBelow.
type stayBelow struct {
	limit uint64
}

func (m *stayBelow) name() string { return "StayBelow" }

func (m *stayBelow) bound() Bound {
	return Bound{Expectation: "stay below " + mb(float64(m.limit)), Limit: m.limit}
}

// crossed reports whether any sample of rec reached the limit, which stops
// an early verdict at once.
func (m *stayBelow) crossed(rec recording.Recording) bool {
	return rec.Peak() >= m.limit
}

func (m *stayBelow) judge(rec recording.Recording, _ look) (finding, error) {
	at, rss := series(rec)
	limit := float64(m.limit)
	peakAt, peak := stats.Peak(at, rss)

	// The chart reaches up to the limit, so that it shows the headroom.
	f := finding{
		passed:      peak < limit,
		evidence:    stats.Within,
		outcome:     "it did",
		expectation: m.bound().Expectation,
		details:     stayBelowDetails(peak, peakAt, limit, stats.AtLeast(rss, limit), len(rss), at[len(at)-1]),
		chart:       chart(at, rss, 0, "", slices.Min(rss), max(peak, limit)),
	}
	if !f.passed {
		f.evidence, f.outcome = stats.Beyond, "it did not"
	}
	return f, nil
}

// stayBelowDetails tells where the peak stood against the limit and how many
// samples were at or above it.
func stayBelowDetails(peak float64, peakAt time.Duration, limit float64, above, samples int, last time.Duration) string {
	against := mb(peak-limit) + " above the limit"
	if peak < limit {
		against = mb(limit-peak) + " below the limit"
	}
	return fmt.Sprintf("it peaked at %s at %s, %s; %d of %s over %s were at or above it",
		mb(peak), seconds(peakAt), against, above, count(samples, "sample"), seconds(last))
}
