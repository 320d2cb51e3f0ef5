package matchers

import (
	"fmt"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

// recordingOf returns the recording a matcher was handed, or an error that
// names the matcher and says what is wrong with it.
func recordingOf(matcher string, actual any) (recording.Recording, error) {
	var rec recording.Recording
	switch r := actual.(type) {
	case recording.Recording:
		rec = r
	case *recording.Recording:
		if r == nil {
			return recording.Recording{}, fmt.Errorf("%s got a nil *recording.Recording", matcher)
		}
		rec = *r
	case nil:
		return recording.Recording{}, fmt.Errorf("%s expects a recording.Recording or *recording.Recording, but got nil", matcher)
	default:
		return recording.Recording{}, fmt.Errorf("%s expects a recording.Recording or *recording.Recording, but got %T", matcher, actual)
	}
	if len(rec.Samples) == 0 {
		return recording.Recording{}, fmt.Errorf("%s cannot judge a recording without samples", matcher)
	}
	for i := 1; i < len(rec.Samples); i++ {
		if rec.Samples[i].At < rec.Samples[i-1].At {
			return recording.Recording{}, fmt.Errorf("%s cannot judge a recording whose samples go back in time: sample %d at %s follows one at %s",
				matcher, i, seconds(rec.Samples[i].At), seconds(rec.Samples[i-1].At))
		}
	}
	return rec, nil
}

// series returns the times and the tree RSS of a recording's samples, in the
// form the stats package works on.
func series(rec recording.Recording) (at []time.Duration, rss []float64) {
	at = make([]time.Duration, len(rec.Samples))
	rss = make([]float64, len(rec.Samples))
	for i, s := range rec.Samples {
		at[i], rss[i] = s.At, float64(s.RSS)
	}
	return at, rss
}
