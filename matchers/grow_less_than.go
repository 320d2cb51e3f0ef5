package matchers

import (
	"fmt"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// GrowLessThan succeeds when the floor of the recording's memory (the
// minima of its windows after the warm-up: what the runtime kept, not what
// it borrowed for a moment) rose less than limit bytes from the start of the
// judged time to its end. The floor at each end is the median floor of a
// quarter of the windows, and it fails only when the rise exceeds the limit
// by more than the noise margin: limit or more beyond the noise.
//
//	Expect(rec).To(GrowLessThan(16 * MB))
//
// It takes the options WarmUp, Windows, WindowSize and Confidence, and fails
// as inconclusive without at least 6 windows of at least 3 samples.
func GrowLessThan(limit uint64, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &growLessThan{limit: limit, settings: newSettings(opts)}}
}

// growLessThan is the judge of GrowLessThan.
type growLessThan struct {
	limit    uint64
	settings settings
}

func (m *growLessThan) name() string { return "GrowLessThan" }

func (m *growLessThan) bound() Bound {
	return Bound{Expectation: "grow less than " + mb(float64(m.limit)), Budget: m.limit}
}

func (m *growLessThan) judge(rec recording.Recording, l look) (finding, error) {
	if err := m.settings.validate(m.name(), windowOptions...); err != nil {
		return finding{}, err
	}
	limit := float64(m.limit)
	env, f, judged, err := openWindows(m, m.settings, rec, l, limit, "floor")
	if err != nil || !judged {
		return f, err
	}
	g := stats.JudgeGrowth(env, limit, l.confidenceOr(m.settings.confidence), l.horizon)
	f.evidence = g.Evidence()
	f.passed = f.evidence != stats.Beyond
	f.details = fmt.Sprintf("%s; after the %s warm-up the floor of %s went from %s to %s (%s, noise margin %s) "+
		"and trends at %s (%s)",
		runFigures(env), seconds(env.WarmUp), windowsFigures(env), mb(g.Start), mb(g.End), signedMB(g.Rise), mb(g.Margin),
		mbPerMinute(g.Trend.Slope), bounds(g.Trend, g.Confidence, "MB/min"))
	f.outcome = "it did"
	if !f.passed {
		f.outcome = "its floor grew " + signedMB(g.Rise)
	}
	return f, nil
}
