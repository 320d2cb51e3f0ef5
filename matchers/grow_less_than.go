package matchers

import (
	"fmt"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

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
