package worker

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

func TestRecorderConcurrentUse(t *testing.T) {
	const (
		adapters         = 4
		eventsPerAdapter = 200
		samples          = 200
	)
	rec := NewRecorder(t.Name())
	var wg sync.WaitGroup
	for a := range adapters {
		wg.Go(func() {
			for i := range eventsPerAdapter {
				rec.Event("job finished", fmt.Sprintf("adapter %d, job %d", a, i))
			}
		})
	}
	wg.Go(func() {
		for i := range samples {
			rec.Add(recording.Sample{At: time.Duration(i) * time.Millisecond, RSS: uint64(i), Processes: 1})
		}
	})
	wg.Go(func() {
		for range samples {
			rec.Snapshot()
		}
	})
	wg.Go(func() {
		for a := range adapters {
			rec.Abort(fmt.Sprintf("adapter %d gave up", a))
		}
	})
	wg.Wait()

	got := rec.Snapshot()
	if got.Count("job finished") != adapters*eventsPerAdapter {
		t.Errorf("the recording has %d events, want %d", got.Count("job finished"), adapters*eventsPerAdapter)
	}
	if !slices.IsSortedFunc(got.Events, func(a, b recording.Event) int { return cmp.Compare(a.At, b.At) }) {
		t.Error("the events are not in the order of their times")
	}
	if len(got.Samples) != samples {
		t.Fatalf("the recording has %d samples, want %d", len(got.Samples), samples)
	}
	for i, s := range got.Samples {
		if s.RSS != uint64(i) {
			t.Fatalf("sample %d has RSS %d, want the samples in the order they were added", i, s.RSS)
		}
	}
	if got.Aborted != "adapter 0 gave up" {
		t.Errorf("Aborted = %q, want the first reason given", got.Aborted)
	}
}

func TestRecorderSnapshotIsACopy(t *testing.T) {
	rec := NewRecorder("a copy")
	rec.Add(recording.Sample{RSS: 1, Processes: 1})
	rec.Event("started", "")

	first := rec.Snapshot()
	first.Samples[0].RSS = 999
	first.Events[0].Name = "changed"
	first.Samples = append(first.Samples, recording.Sample{RSS: 2})
	first.Aborted = "changed"

	second := rec.Snapshot()
	if second.Samples[0].RSS != 1 || len(second.Samples) != 1 {
		t.Errorf("changing a snapshot changed the recorder's samples: %+v", second.Samples)
	}
	if second.Events[0].Name != "started" {
		t.Errorf("changing a snapshot changed the recorder's events: %+v", second.Events)
	}
	if second.Aborted != "" {
		t.Errorf("changing a snapshot aborted the recorder: %q", second.Aborted)
	}
	if second.Name != "a copy" || second.Started.IsZero() {
		t.Errorf("the snapshot is named %q and started at %v, want the recorder's name and start", second.Name, second.Started)
	}
}

func TestRecorderDurationStopsWhenSamplingStops(t *testing.T) {
	rec := NewRecorder(t.Name())
	rec.stop()
	stopped := rec.Snapshot()
	rec.Event("late", "an adapter noted something after sampling ended")
	rec.stop()
	later := rec.Snapshot()

	if later.Duration != stopped.Duration {
		t.Errorf("the duration moved from %v to %v after sampling stopped", stopped.Duration, later.Duration)
	}
	if late := later.Events[0]; late.At < later.Duration {
		t.Errorf("the late event is at %v, before the end of sampling at %v", late.At, later.Duration)
	}
}
