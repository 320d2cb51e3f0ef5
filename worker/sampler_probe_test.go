package worker

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/worker/recording"
)

func TestSamplerProbeAddsToEverySampleAndAFailureKeepsTheSample(t *testing.T) {
	var (
		mu    sync.Mutex
		calls uint64
	)
	// Calls 3 and 4 fail alike, as an endpoint that is briefly away does.
	probe := func(s *recording.Sample) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 3 || calls == 4 {
			return errors.New("endpoint away")
		}
		s.HeapLive, s.GCCycles, s.GoRuntime = calls*bytesize.MiB, calls, true
		return nil
	}
	rec := NewRecorder(t.Name())
	cfg := SamplerConfig{Interval: time.Millisecond, ProcRoot: "testdata/proc", Probe: probe}
	sampler, err := StartSampler(rec, fixtureRoot, fixtureRoot, cfg, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	waitForRecording(t, rec, "six samples", func(r recording.Recording) bool { return len(r.Samples) >= 6 })
	got := sampler.Stop()

	for i, s := range got.Samples {
		n := uint64(i + 1)
		if s.RSS != fixtureRSS {
			t.Errorf("sample %d has RSS %d, want the tree's %d whatever the probe did", i, s.RSS, fixtureRSS)
		}
		failed := n == 3 || n == 4
		if s.GoRuntime == failed {
			t.Errorf("sample %d: GoRuntime = %t, want %t", i, s.GoRuntime, !failed)
		}
		if !failed && (s.HeapLive != n*bytesize.MiB || s.GCCycles != n) {
			t.Errorf("sample %d carries HeapLive %d and GCCycles %d, want the probe's %d and %d", i, s.HeapLive, s.GCCycles, n*bytesize.MiB, n)
		}
	}
	if n := got.Count(sampleFailed); n != 1 {
		t.Fatalf("%d %q events for one run of the same failure, want 1: %+v", n, sampleFailed, got.Events)
	}
	for _, e := range got.Events {
		if e.Name == sampleFailed && !strings.Contains(e.Detail, "probe sample: endpoint away") {
			t.Errorf("the event says %q, want it to name the probe's failure", e.Detail)
		}
	}
}

func TestSamplerDoesNotWaitForTheProbeToKillAboveTheCeiling(t *testing.T) {
	probed := make(chan struct{}, 1)
	probe := func(*recording.Sample) error {
		select {
		case probed <- struct{}{}:
		default:
		}
		return nil
	}
	rec := NewRecorder(t.Name())
	killed := make(chan string, 1)
	cfg := SamplerConfig{Interval: time.Hour, Ceiling: bytesize.MiB, ProcRoot: "testdata/proc", Probe: probe}
	sampler, err := StartSampler(rec, fixtureRoot, fixtureRoot, cfg, func(reason string) { killed <- reason })
	if err != nil {
		t.Fatal(err)
	}
	defer sampler.Stop()
	select {
	case <-killed:
	default:
		t.Fatal("the first sample, above the ceiling, did not kill the tree")
	}
	select {
	case <-probed:
		t.Error("the probe ran on the sample that crossed the ceiling")
	default:
	}
}
