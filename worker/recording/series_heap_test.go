package recording

import (
	"reflect"
	"testing"
	"time"
)

func TestHeapLiveJudgesTheRuntimeSeries(t *testing.T) {
	rec := Recording{
		Name:     "a spec",
		Duration: 3 * time.Second,
		Samples: []Sample{
			{At: 0, RSS: 900, PSS: 800, USS: 700, Detailed: true, Processes: 1, HeapLive: 100, GCCycles: 1, GoRuntime: true},
			{At: time.Second, RSS: 950, Processes: 1}, // the endpoint did not answer
			{At: 2 * time.Second, RSS: 990, Processes: 1, HeapLive: 300, GCCycles: 4, GoRuntime: true},
		},
		Events:  []Event{{At: time.Second, Name: "enqueued"}},
		Aborted: "killed",
	}
	before := rec
	before.Samples = append([]Sample(nil), rec.Samples...)

	got := rec.Series(HeapLive)

	want := Recording{
		Name:     "a spec [live heap]",
		Duration: 3 * time.Second,
		Samples: []Sample{
			{At: 0, RSS: 100, Processes: 1, HeapLive: 100, GCCycles: 1, GoRuntime: true},
			{At: 2 * time.Second, RSS: 300, Processes: 1, HeapLive: 300, GCCycles: 4, GoRuntime: true},
		},
		Events:  []Event{{At: time.Second, Name: "enqueued"}},
		Aborted: "killed",
		Measure: HeapLive,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Series(HeapLive) =\n%+v\nwant\n%+v", got, want)
	}
	if got.Peak() != 300 {
		t.Errorf("the peak of the heap series is %d, want 300", got.Peak())
	}
	if !reflect.DeepEqual(rec, before) {
		t.Errorf("Series(HeapLive) changed its argument: %+v", rec)
	}
	got.Events[0].Name = "changed"
	if rec.Events[0].Name != "enqueued" {
		t.Error("the copy shares its events with the original")
	}
}

func TestHeapLiveOfARecordingWithoutRuntimeFiguresIsEmpty(t *testing.T) {
	got := Recording{Samples: []Sample{{RSS: 5}, {RSS: 6}}}.Series(HeapLive)
	if len(got.Samples) != 0 {
		t.Errorf("Series(HeapLive) kept %d samples that carry no live heap: %+v", len(got.Samples), got.Samples)
	}
}
