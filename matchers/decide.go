package matchers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// DefaultLooks is how many looks a Plan makes when it does not say: one
// every sixth of its length, so that a one-minute plan can stop after ten
// seconds, for a union bound on false alarms only half a percentage point
// above that of a single look.
const DefaultLooks = 6

// DefaultPoll is how often Watch takes a snapshot when the Plan does not
// say: as often as the default sampling interval, so that a crossed ceiling
// or StayBelow limit stops a run within one sample.
const DefaultPoll = 100 * time.Millisecond

// lookGrace is how long a look waits past its time for a sample.
const lookGrace = time.Second

// Plan is how long a spec may record, and how often its data is judged,
// when it records until its verdict is certain.
type Plan struct {
	// Max is the longest the run may last: the last look is at Max, and
	// trends are projected over Max at every look.
	Max time.Duration
	// Looks is how many times the data is judged, equally spaced up to and
	// including Max; DefaultLooks when zero.
	Looks int
	// Poll is how often Watch takes a snapshot; DefaultPoll when zero.
	Poll time.Duration
}

// Verdict is what Decide says of a run that is still recording.
type Verdict int

// The verdicts. They are not named Pass and Fail so that a suite can
// dot-import this package beside Ginkgo, whose Fail is a function.
const (
	// Undecided: the evidence is not yet sufficient; keep recording.
	Undecided Verdict = iota
	// Passed: every matcher is certain to pass.
	Passed
	// Failed: a matcher is certain to fail.
	Failed
)

func (v Verdict) String() string {
	switch v {
	case Passed:
		return "passed"
	case Failed:
		return "failed"
	default:
		return "undecided"
	}
}

// Decision is a Verdict with what it rests on.
type Decision struct {
	Verdict Verdict
	// At is the time of the data the verdict rests on: the look's time, or
	// the end of the snapshot when a bound was crossed between looks.
	At time.Duration
	// Look is the look that decided, from 1 to Plan.Looks, or 0 when a bound
	// was crossed or nothing is decided yet.
	Look int
	// Message is, for Failed, the failure message of the first matcher that
	// failed; for Passed, a sentence per matcher saying what it found.
	Message string
}

// Decide judges a snapshot of a recording against the matchers of this
// package, for a spec that records until its verdict is certain rather than
// for a fixed time. It is a pure function of the snapshot: calling it again
// on the same data gives the same Decision, however often it is called.
//
//   - At once, whatever the time: Failed when the run was aborted (the
//     memory ceiling was crossed) or a StayBelow limit was reached.
//   - At each of the plan's looks, equally spaced up to Max, it judges the
//     data recorded up to the look's time, and nothing after it. At the
//     first Looks-1 looks it stops only on strong evidence, at
//     stats.InterimConfidence (99.9 %): Failed when a matcher shows a
//     breach of its bound in the data so far, Passed when every matcher
//     shows it keeps within it, with trends projected to the end of Max.
//     A StayBelow limit not reached yet says nothing of the rest of the
//     run, so a run judged by StayBelow alone passes only at the last look.
//     Otherwise it says Undecided.
//   - At the last look, at Max, it gives the matchers' own verdict, exactly
//     as for a run of fixed length Max; a matcher that is still
//     inconclusive then fails.
//
// The interim looks are the Haybittle–Peto design: their threshold is so
// strict that they spend almost none of the error budget, so by the union
// bound the false-alarm rate of the whole run is at most that of a single
// look at Max plus 0.1 % per interim look (stats.FalseAlarmBound). The
// detection benchmark (go run ./cmd/detectbench) measures it on
// leak-free series and on recorded clean runs.
//
// Every look uses the warm-up of the whole plan (a fifth of Max by
// default), so each look judges more of the same stretch of time as the
// last. Decide returns an error only for what no amount of data can fix: an
// empty Plan, a matcher that is not one of this package's, bad options.
func Decide(rec recording.Recording, plan Plan, ms ...types.GomegaMatcher) (Decision, error) {
	judges, plan, err := checkPlan(plan, ms)
	if err != nil {
		return Decision{}, err
	}
	if len(rec.Samples) == 0 && rec.Aborted == "" {
		return Decision{}, nil
	}
	var sampled time.Duration
	if n := len(rec.Samples); n > 0 {
		sampled = rec.Samples[n-1].At
	}
	now := max(rec.Duration, sampled)
	if d, stop, err := crossed(rec, now, judges); stop || err != nil {
		return d, err
	}
	for i, at := range stats.LookTimes(plan.Max, plan.Looks) {
		// A look waits for a sample at or after its time, so that the data
		// up to it is complete and a later poll cannot judge it again on
		// more; a stalled sampler holds it up for a second at most.
		if sampled < at && now < at+lookGrace {
			break
		}
		last := i == plan.Looks-1
		l := look{horizon: plan.Max}
		if !last {
			l.confidence = stats.InterimConfidence
		}
		d, err := judgeLook(truncate(rec, at), l, last, judges)
		if err != nil || d.Verdict != Undecided {
			d.At, d.Look = at, i+1
			return d, err
		}
	}
	return Decision{}, nil
}

// checkPlan fills in the plan's defaults and finds the judges of ms.
func checkPlan(plan Plan, ms []types.GomegaMatcher) ([]*matcher, Plan, error) {
	switch {
	case plan.Max <= 0:
		return nil, plan, fmt.Errorf("decide verdict: the plan needs a Max above zero, but has %v", plan.Max)
	case plan.Looks < 0:
		return nil, plan, fmt.Errorf("decide verdict: the plan needs at least one look, but has %d", plan.Looks)
	case len(ms) == 0:
		return nil, plan, errors.New("decide verdict: no matchers to decide with")
	}
	if plan.Looks == 0 {
		plan.Looks = DefaultLooks
	}
	judges := make([]*matcher, len(ms))
	for i, m := range ms {
		j, ok := m.(*matcher)
		if !ok {
			return nil, plan, fmt.Errorf("decide verdict: %T is not one of leakspec's matchers, so it cannot be judged early", m)
		}
		judges[i] = j
	}
	return judges, plan, nil
}

// crossed stops a run at once when it was aborted or a StayBelow limit was
// reached, at any time.
func crossed(rec recording.Recording, now time.Duration, judges []*matcher) (Decision, bool, error) {
	for _, m := range judges {
		s, ok := m.judge.(*stayBelow)
		if rec.Aborted == "" && !(ok && len(rec.Samples) > 0 && s.crossed(rec)) {
			continue
		}
		if len(rec.Samples) == 0 {
			return Decision{Verdict: Failed, At: now, Message: abortedOutcome(rec.Aborted) + " before the first sample"}, true, nil
		}
		f, err := m.find(rec, look{})
		if err != nil {
			if isInconclusive(err) {
				return Decision{Verdict: Failed, At: now, Message: abortedOutcome(rec.Aborted) + ": " + err.Error()}, true, nil
			}
			return Decision{}, true, err
		}
		return Decision{Verdict: Failed, At: now, Message: f.message(false)}, true, nil
	}
	return Decision{}, false, nil
}

// judgeLook judges the data of one look with every matcher: at an interim
// look on evidence, at the last look by the matchers' own verdicts.
func judgeLook(rec recording.Recording, l look, last bool, judges []*matcher) (Decision, error) {
	var passes []string
	// A StayBelow that has not been reached yet may still be before Max:
	// an interim look passes only when a matcher that projects the trend
	// to Max vouches for the rest of the run.
	projected := false
	for _, m := range judges {
		f, err := m.find(rec, l)
		switch {
		case err != nil && !isInconclusive(err):
			return Decision{}, err
		case err != nil && last:
			return Decision{Verdict: Failed, Message: err.Error()}, nil
		case err != nil:
			return Decision{}, nil
		case last && !f.passed, !last && f.evidence == stats.Beyond:
			return Decision{Verdict: Failed, Message: f.message(false)}, nil
		case last || f.evidence == stats.Within:
			passes = append(passes, f.summary())
			_, limit := m.judge.(*stayBelow)
			projected = projected || !limit
		default:
			return Decision{}, nil
		}
	}
	if !last && !projected {
		return Decision{}, nil
	}
	return Decision{Verdict: Passed, Message: strings.Join(passes, "\n")}, nil
}

// isInconclusive reports whether err says the data is too short, which an
// interim look reads as "not yet".
func isInconclusive(err error) bool {
	var short *inconclusiveError
	return errors.As(err, &short)
}

// truncate returns rec as it stood at time at: its samples and events up to
// and including at.
func truncate(rec recording.Recording, at time.Duration) recording.Recording {
	n := sort.Search(len(rec.Samples), func(i int) bool { return rec.Samples[i].At > at })
	e := sort.Search(len(rec.Events), func(i int) bool { return rec.Events[i].At > at })
	rec.Samples, rec.Events = rec.Samples[:n], rec.Events[:e]
	rec.Duration = at
	return rec
}

// Watch polls snapshot, usually a running Recorder's Snapshot method, and
// Decides on each snapshot until the verdict is Passed or Failed, or ctx is
// done. It is independent of Ginkgo, so any test can call it while its
// scenario drives the worker in another goroutine:
//
//	d, err := matchers.Watch(ctx, run.Recorder.Snapshot, matchers.Plan{Max: time.Minute},
//		PlateauWithin(32*MB), StayBelow(512*MB))
//
// The snapshot's Duration must keep growing (a Recorder's does until its
// sampler stops), or the last look is never reached and Watch waits for ctx.
func Watch(ctx context.Context, snapshot func() recording.Recording, plan Plan, ms ...types.GomegaMatcher) (Decision, error) {
	poll := plan.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		d, err := Decide(snapshot(), plan, ms...)
		if err != nil || d.Verdict != Undecided {
			return d, err
		}
		select {
		case <-ctx.Done():
			return d, fmt.Errorf("watch verdict: %w", ctx.Err())
		case <-ticker.C:
		}
	}
}
