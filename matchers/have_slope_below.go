package matchers

import (
	"fmt"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// BytesPerMinute is a rate of growth of memory.
type BytesPerMinute float64

// MBPerMinute returns x megabytes (10^6 bytes) a minute.
func MBPerMinute(x float64) BytesPerMinute { return BytesPerMinute(x * float64(MB)) }

// HaveSlopeBelow succeeds when the floor of the recording's memory (the
// minima of its windows after the warm-up) is shown to rise slower than
// rate: the upper confidence bound of its Theil–Sen slope must be below the
// rate. Unlike the other matchers it passes only on evidence, so a run too
// short or too noisy to pin the slope down fails, and says so; the rate is
// a meaningful one, never zero, since no finite run shows a slope of
// exactly zero.
//
//	Expect(rec).To(HaveSlopeBelow(MBPerMinute(5)))
//
// It takes the options WarmUp, Windows, WindowSize and Confidence, and fails
// as inconclusive without at least 6 windows of at least 3 samples.
func HaveSlopeBelow(rate BytesPerMinute, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &haveSlopeBelow{rate: rate, settings: newSettings(opts)}}
}

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
