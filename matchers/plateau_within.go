package matchers

import (
	"fmt"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// plateauWithin is the judge of PlateauWithin.
type plateauWithin struct {
	budget   uint64
	settings settings
}

func (m *plateauWithin) name() string { return "PlateauWithin" }

func (m *plateauWithin) bound() Bound {
	return Bound{Expectation: "plateau within " + mb(float64(m.budget)), Budget: m.budget}
}

func (m *plateauWithin) judge(rec recording.Recording, l look) (finding, error) {
	if err := m.settings.validate(m.name(), windowOptions...); err != nil {
		return finding{}, err
	}
	budget := float64(m.budget)
	env, f, judged, err := openWindows(m, m.settings, rec, l, budget, "peaks")
	if err != nil || !judged {
		return f, err
	}
	p := stats.JudgePlateau(env, budget, l.confidenceOr(m.settings.confidence), l.horizon)
	if since, ok := rec.IdleSince(); ok {
		at, v := series(rec)
		p = p.SettledIdle(at, v, since)
	}
	if m.settings.warmUpSet {
		// A warm-up the spec chose says where its load begins.
		p = p.FromWarmUpEnd()
	}
	f.evidence = p.Evidence()
	f.passed = !p.RoseTooFar() && !p.TrendsTooFar() && !p.SitsTooHigh()
	f.details = plateauDetails(p)
	// Growth is told first, as the worse news; a floor that also sits too
	// high is told in the same sentence, so that a reader learns at once
	// how far above its start memory went.
	high := ""
	if p.SitsTooHigh() {
		high = fmt.Sprintf(", to %s above %s", signedMB(p.Level), startWords(p))
	}
	switch {
	case f.passed:
		f.outcome = "it did"
		if p.StillRising() {
			f.caveat = stillRisingWords(p, m.settings.runFor(2*p.JudgedToFail()))
		}
	case p.TrendsTooFar():
		f.outcome = "it kept growing" + high
	case p.RoseTooFar():
		f.outcome = "its peaks rose too far" + high
	default:
		f.expectation += " of where the load began"
		f.outcome = fmt.Sprintf("it settled %s above %s and stayed there", signedMB(p.Level), startWords(p))
	}
	return f, nil
}

// plateauDetails tells the numbers of a judgement: first the whole run,
// then the peaks after the warm-up and the floor they settled on, which the
// verdict rests on.
func plateauDetails(p stats.Plateau) string {
	estimate, _, _ := p.Projected(p.Judged)
	return fmt.Sprintf("%s; after the %s warm-up the peaks of %s rose %s from their early level of %s (noise margin %s, %s allowed) "+
		"and trend at %s (%s), %s over the %s judged (%s allowed); %s settled at %s, %s above %s (noise margin %s, %s allowed)",
		runFigures(p.Envelope), seconds(p.WarmUp), windowsFigures(p.Envelope), signedMB(p.Rise), mb(p.Early), mb(p.RiseMargin), mb(p.Budget),
		mbPerMinute(p.Trend.Slope), bounds(p.Trend, p.Confidence, "MB/min"), signedMB(estimate), seconds(p.Judged), mb(p.TrendBudget()),
		settledWords(p), mb(p.Settled), signedMB(p.Level), startShort(p), mb(p.LevelMargin), mb(p.Budget))
}

// stillRisingWords tells a spec that passed while its memory still climbed
// how long a run would tell: a slow leak under too short a load. The run
// suggested judges twice the time the climb needs to fail, since a longer
// run's bounds are no tighter than its slope.
func stillRisingWords(p stats.Plateau, run time.Duration) string {
	_, lower, _ := p.Projected(p.Judged)
	return fmt.Sprintf("Memory was still rising when the run ended: by at least %s (%s), %s over the %s judged, "+
		"more than a quarter of the %s allowed. If this spec guards a slow leak, load it for longer: "+
		"a climb that steady adds the %s that fail the spec in about %s judged, and a run of %s or more judges twice that.",
		mbPerMinute(p.Trend.Lower), percent(p.Confidence), signedMB(lower), seconds(p.Judged), mb(p.Budget),
		mb(p.TrendBudget()), seconds(p.JudgedToFail()), seconds(run))
}

// settledWords names what the level was read from: "the floor of the last
// 3 windows", or "the worker idle after its load, from 9.4 s".
func settledWords(p stats.Plateau) string {
	if p.Idle {
		return "the worker idle after its load, from " + seconds(p.SettledFrom) + ","
	}
	return "the floor of the last " + count(p.Ends, "window")
}

// startWords names where the load began and its level: "its baseline of
// 53.3 MB", or "its early peaks of 80.0 MB after the warm-up".
func startWords(p stats.Plateau) string {
	if p.FromWarmUp {
		return "its early peaks of " + mb(p.Start) + " after the warm-up"
	}
	return "its baseline of " + mb(p.Start)
}

// startShort names where the load began within the figures.
func startShort(p stats.Plateau) string {
	if p.FromWarmUp {
		return "the early peaks"
	}
	return "the baseline"
}
