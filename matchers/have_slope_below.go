package matchers

import (
	"fmt"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// BytesPerMinute is a rate of growth of memory.
type BytesPerMinute float64

// MBPerMinute returns x megabytes (10^6 bytes) a minute.
func MBPerMinute(x float64) BytesPerMinute { return BytesPerMinute(x * float64(MB)) }

// haveSlopeBelow is the judge of HaveSlopeBelow.
type haveSlopeBelow struct {
	rate     BytesPerMinute
	settings settings
}

func (m *haveSlopeBelow) name() string { return "HaveSlopeBelow" }

func (m *haveSlopeBelow) bound() Bound {
	return Bound{Expectation: "have a slope below " + mbPerMinute(float64(m.rate))}
}

func (m *haveSlopeBelow) judge(rec recording.Recording, l look) (finding, error) {
	if err := m.settings.validate(m.name(), windowOptions...); err != nil {
		return finding{}, err
	}
	env, f, judged, err := openWindows(m, m.settings, rec, l, 0, "floor")
	if err != nil || !judged {
		return f, err
	}
	s := stats.JudgeSlope(env, float64(m.rate), l.confidenceOr(m.settings.confidence))
	f.evidence = s.Evidence()
	f.passed = f.evidence == stats.Within
	_, floors, _ := env.Floors()
	f.details = fmt.Sprintf("%s; after the %s warm-up the floor of %s went from %s to %s over %s, a slope of %s (%s)",
		runFigures(env), seconds(env.WarmUp), windowsFigures(env), mb(floors[0]), mb(floors[len(floors)-1]), seconds(env.Judged),
		mbPerMinute(s.Trend.Slope), bounds(s.Trend, s.Confidence, "MB/min"))
	switch {
	case f.passed:
		f.outcome = "it did"
	case f.evidence == stats.Beyond:
		f.outcome = "it grew faster"
	default:
		f.outcome = "the run was too short or too noisy to show it"
	}
	return f, nil
}
