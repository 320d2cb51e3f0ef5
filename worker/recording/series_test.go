package recording

import (
	"reflect"
	"testing"
	"time"
)

func seriesFixture() Recording {
	ms := time.Millisecond
	return Recording{
		Name:         "spec",
		Interval:     100 * ms,
		SlowInterval: 300 * ms,
		Ceiling:      4 << 30,
		Samples: []Sample{
			{At: 0, RSS: 300, PSS: 120, USS: 90, Detailed: true, Processes: 3},
			{At: 100 * ms, RSS: 310, Processes: 3},
			{At: 200 * ms, RSS: 320, Processes: 3},
			{At: 300 * ms, RSS: 330, PSS: 150, USS: 100, Detailed: true, Processes: 3},
			{At: 400 * ms, RSS: 340, Processes: 3},
		},
		Events:  []Event{{At: 150 * ms, Name: "retry"}},
		Aborted: "killed",
	}
}

func TestSeriesPSSKeepsDetailedSamplesWithPSSAsRSS(t *testing.T) {
	rec := seriesFixture()
	pss := rec.Series(PSS)

	want := []Sample{
		{At: 0, RSS: 120, PSS: 120, USS: 90, Detailed: true, Processes: 3},
		{At: 300 * time.Millisecond, RSS: 150, PSS: 150, USS: 100, Detailed: true, Processes: 3},
	}
	if !reflect.DeepEqual(pss.Samples, want) {
		t.Errorf("Samples = %+v, want %+v", pss.Samples, want)
	}
	if pss.Peak() != 150 {
		t.Errorf("Peak = %d, want the PSS peak 150", pss.Peak())
	}
	if pss.Interval != rec.SlowInterval {
		t.Errorf("Interval = %v, want the slow interval %v", pss.Interval, rec.SlowInterval)
	}
	if pss.Name != "spec [PSS]" || pss.Measure != PSS || pss.Aborted != "killed" || pss.Count("retry") != 1 || pss.Ceiling != rec.Ceiling {
		t.Errorf("the copy lost what it carries: %+v", pss)
	}
	// The original is untouched.
	if !reflect.DeepEqual(rec, seriesFixture()) {
		t.Errorf("Series changed the recording it was called on: %+v", rec)
	}
}

func TestSeriesUSS(t *testing.T) {
	uss := seriesFixture().Series(USS)
	if len(uss.Samples) != 2 || uss.Samples[0].RSS != 90 || uss.Samples[1].RSS != 100 {
		t.Errorf("USS samples = %+v, want RSS 90 and 100", uss.Samples)
	}
}

func TestSeriesRSSIsACopyOfEverySample(t *testing.T) {
	rec := seriesFixture()
	rss := rec.Series(RSS)
	if !reflect.DeepEqual(rss, rec) {
		t.Errorf("Series(RSS) = %+v, want the recording as it is", rss)
	}
	rss.Samples[0].RSS = 1
	rss.Events[0].Name = "changed"
	if rec.Samples[0].RSS != 300 || rec.Events[0].Name != "retry" {
		t.Error("Series(RSS) shares its samples or events with the original")
	}
}

func TestSeriesWithoutDetailedSamplesIsEmpty(t *testing.T) {
	rec := Recording{Samples: []Sample{{RSS: 10}, {At: time.Second, RSS: 20}}}
	if got := rec.Series(PSS).Samples; len(got) != 0 {
		t.Errorf("Samples = %+v, want none: PSS was never measured", got)
	}
	if got := seriesFixture().Series("VSZ").Samples; len(got) != 0 {
		t.Errorf("an unknown series kept samples: %+v", got)
	}
}
