package worker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/worker/recording"
)

// The tree of pid 200 in testdata/proc (see testdata/README.md), in kB as the
// fixture's files state them. The zombie 211 counts as a process with no
// memory; 220 vanished after the listing and does not count.
const (
	fixtureRoot      = 200
	fixtureProcesses = 5
	fixtureRSS       = (48212 + 46980 + 9320 + 21544) * bytesize.KiB
	fixturePSS       = (33790 + 18402 + 4133 + 15877) * bytesize.KiB
	fixtureUSS       = ((1204 + 30148) + (12 + 5220) + (96 + 2088) + (340 + 13912)) * bytesize.KiB
)

// fixtureProc is the fixture /proc, which testdata/README.md describes.
const fixtureProc = "testdata/proc"

func TestSampleTreeSumsTheFixture(t *testing.T) {
	tests := []struct {
		detailed bool
		want     recording.Sample
	}{
		{
			detailed: false,
			want:     recording.Sample{RSS: fixtureRSS, Processes: fixtureProcesses},
		},
		{
			detailed: true,
			want: recording.Sample{
				RSS: fixtureRSS, PSS: fixturePSS, USS: fixtureUSS,
				Detailed: true, Processes: fixtureProcesses,
			},
		},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("detailed=%t", tt.detailed), func(t *testing.T) {
			got, err := SampleTree(fixtureProc, fixtureRoot, fixtureRoot, tt.detailed)
			if err != nil {
				t.Fatalf("SampleTree: %v", err)
			}
			if got != tt.want {
				t.Errorf("SampleTree(testdata/proc, %d) = %+v, want %+v", fixtureRoot, got, tt.want)
			}
		})
	}
}

func TestSampleTreeCountsARealChildAndItsChild(t *testing.T) {
	const ballast = 64 * bytesize.MiB
	tree := startRealTree(t, 1, ballast)
	before, err := SampleTree("", tree.pid(), tree.pid(), true)
	if err != nil {
		t.Fatalf("SampleTree before the tree grew: %v", err)
	}
	tree.grow(t)
	after, err := SampleTree("", tree.pid(), tree.pid(), true)
	if err != nil {
		t.Fatalf("SampleTree after the tree grew: %v", err)
	}
	t.Logf("before: %+v\nafter:  %+v", before, after)

	if before.Processes != 1 || after.Processes != 2 {
		t.Errorf("the tree had %d then %d processes, want 1 then 2 (the child and the child it forked)",
			before.Processes, after.Processes)
	}
	// Both processes map the ballast's pages: summed RSS counts them twice,
	// PSS splits them between the two and so counts them once. A few MiB
	// are left for pages the kernel or the interpreter may still reclaim.
	enough := ballast - 4*bytesize.MiB
	rssRise := int64(after.RSS) - int64(before.RSS)
	pssRise := int64(after.PSS) - int64(before.PSS)
	if rssRise < int64(2*enough) {
		t.Errorf("RSS rose by %s, want at least %s: both processes map the ballast",
			bytesize.FormatSigned(rssRise), bytesize.Format(2*enough))
	}
	if pssRise < int64(enough) || pssRise > rssRise-int64(enough) {
		t.Errorf("PSS rose by %s with RSS up %s, want the ballast (%s) counted once",
			bytesize.FormatSigned(pssRise), bytesize.FormatSigned(rssRise), bytesize.Format(ballast))
	}
	// The shared ballast is nobody's own: USS, the private pages, stays
	// far below it.
	if ussRise := int64(after.USS) - int64(before.USS); ussRise > int64(ballast/2) {
		t.Errorf("USS rose by %s, want far less than the shared ballast (%s)",
			bytesize.FormatSigned(ussRise), bytesize.Format(ballast))
	}
}

func TestStartSamplerFailures(t *testing.T) {
	noKill := func(string) {}
	tests := []struct {
		name     string
		root     int
		cfg      SamplerConfig
		kill     func(string)
		notExist bool
	}{
		{
			name:     "a root with no /proc entry",
			root:     999,
			cfg:      SamplerConfig{ProcRoot: "testdata/proc"},
			kill:     noKill,
			notExist: true,
		},
		{
			name:     "a /proc that does not exist",
			root:     fixtureRoot,
			cfg:      SamplerConfig{ProcRoot: "testdata/nowhere"},
			kill:     noKill,
			notExist: true,
		},
		{
			name: "no kill function",
			root: fixtureRoot,
			cfg:  SamplerConfig{ProcRoot: "testdata/proc"},
		},
		{
			name: "a negative interval",
			root: fixtureRoot,
			cfg:  SamplerConfig{ProcRoot: "testdata/proc", Interval: -time.Second},
			kill: noKill,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := NewRecorder(t.Name())
			sampler, err := StartSampler(rec, tt.root, tt.root, tt.cfg, tt.kill)
			if err == nil {
				sampler.Stop()
				t.Fatal("StartSampler succeeded, want an error")
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "start sampler: ") {
				t.Errorf("the error %q does not start with %q", err, "start sampler: ")
			}
			if tt.notExist && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the error %q does not wrap fs.ErrNotExist", err)
			}
			if n := len(rec.Snapshot().Samples); n != 0 {
				t.Errorf("the recorder holds %d samples, want none", n)
			}
		})
	}
}

func TestSamplerDefaults(t *testing.T) {
	rec := NewRecorder(t.Name())
	sampler, err := StartSampler(rec, os.Getpid(), 0, SamplerConfig{}, func(reason string) {
		t.Errorf("kill(%q) was called", reason)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sampler.Stop()
	if got.Interval != 100*time.Millisecond || got.SlowInterval != time.Second || got.Ceiling != 4*bytesize.GiB {
		t.Errorf("the recording says interval %v, slow interval %v, ceiling %d bytes; want 100ms, 1s and 4 GiB",
			got.Interval, got.SlowInterval, got.Ceiling)
	}
	// The first sample is taken at once, from the real /proc, in detail.
	if len(got.Samples) == 0 {
		t.Fatal("no sample was taken at start")
	}
	if first := got.Samples[0]; !first.Detailed || first.Processes < 1 || first.RSS == 0 || first.PSS == 0 {
		t.Errorf("the first sample of this test process is %+v, want a detailed sample of at least one process", first)
	}
}

func TestSamplerReadsDetailOnlyAtTheSlowRate(t *testing.T) {
	rec := NewRecorder(t.Name())
	cfg := SamplerConfig{Interval: time.Millisecond, SlowInterval: time.Hour, ProcRoot: "testdata/proc"}
	sampler, err := StartSampler(rec, fixtureRoot, fixtureRoot, cfg, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	waitForRecording(t, rec, "five samples", func(r recording.Recording) bool { return len(r.Samples) >= 5 })
	got := sampler.Stop()

	for i, s := range got.Samples {
		want := recording.Sample{At: s.At, RSS: fixtureRSS, Processes: fixtureProcesses}
		if i == 0 {
			want.PSS, want.USS, want.Detailed = fixturePSS, fixtureUSS, true
		}
		if s != want {
			t.Errorf("sample %d = %+v, want %+v", i, s, want)
		}
		if i > 0 && s.At < got.Samples[i-1].At {
			t.Errorf("sample %d at %v comes before sample %d at %v", i, s.At, i-1, got.Samples[i-1].At)
		}
	}
}

func TestSamplerKillsOnceAboveTheCeiling(t *testing.T) {
	var (
		mu      sync.Mutex
		reasons []string
	)
	kill := func(reason string) {
		mu.Lock()
		defer mu.Unlock()
		reasons = append(reasons, reason)
	}
	// The fixture never shrinks, so every sample stays above the ceiling.
	rec := NewRecorder(t.Name())
	cfg := SamplerConfig{Interval: time.Millisecond, Ceiling: bytesize.MiB, ProcRoot: "testdata/proc"}
	sampler, err := StartSampler(rec, fixtureRoot, fixtureRoot, cfg, kill)
	if err != nil {
		t.Fatal(err)
	}
	waitForRecording(t, rec, "five samples", func(r recording.Recording) bool { return len(r.Samples) >= 5 })
	got := sampler.Stop()

	mu.Lock()
	defer mu.Unlock()
	if len(reasons) != 1 {
		t.Fatalf("kill was called %d times over %d samples above the ceiling, want once", len(reasons), len(got.Samples))
	}
	if got.Aborted != reasons[0] {
		t.Errorf("the recording says it was aborted because %q, kill was told %q", got.Aborted, reasons[0])
	}
}

func TestSamplerKillsARealTreeAboveTheCeiling(t *testing.T) {
	const ceiling = 100 * bytesize.MiB
	tree := startRealTree(t, 0, 2*ceiling)
	group := tree.pid()
	var kills atomic.Int32
	kill := func(string) {
		kills.Add(1)
		if err := syscall.Kill(-group, syscall.SIGKILL); err != nil {
			t.Errorf("kill the group %d: %v", group, err)
		}
	}
	rec := NewRecorder(t.Name())
	cfg := SamplerConfig{Interval: 10 * time.Millisecond, Ceiling: ceiling}
	sampler, err := StartSampler(rec, tree.pid(), group, cfg, kill)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sampler.Stop() })

	tree.release(t)
	select {
	case <-tree.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the tree was not killed within 30s; the recording so far: %+v", rec.Snapshot())
	}
	// After the kill the sampler notes where the tree ended, and stops.
	waitForRecording(t, rec, "the tree's end", func(r recording.Recording) bool {
		return r.Count(treeEnded) > 0
	})
	got := sampler.Stop()
	if n := kills.Load(); n != 1 {
		t.Errorf("kill was called %d times, want once", n)
	}

	first := -1
	for i, s := range got.Samples {
		if s.RSS > ceiling {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatalf("no sample is above the ceiling of %s: %+v", bytesize.Format(ceiling), got.Samples)
	}
	want := fmt.Sprintf("the worker's process tree reached %s, above the %s ceiling, and was killed",
		bytesize.Format(got.Samples[first].RSS), bytesize.Format(ceiling))
	if got.Aborted != want {
		t.Errorf("Aborted = %q, want %q", got.Aborted, want)
	}
	if got.Ceiling != ceiling {
		t.Errorf("the recording says the ceiling was %d bytes, want %d", got.Ceiling, ceiling)
	}
	// The dead tree is not a sample: a series that went on at zero would
	// read as the worker freeing what it held.
	for i, s := range got.Samples {
		if s.RSS == 0 || s.Processes == 0 {
			t.Errorf("sample %d of %d measured the ended tree, %+v; want the series to end with the last living sample", i, len(got.Samples), s)
		}
	}
	if ended := got.Count(treeEnded); ended != 1 {
		t.Errorf("the recording notes the tree's end %d times, want once: %+v", ended, got.Events)
	}
}

func TestSamplerStopIsIdempotent(t *testing.T) {
	rec := NewRecorder(t.Name())
	sampler, err := StartSampler(rec, fixtureRoot, fixtureRoot, SamplerConfig{ProcRoot: "testdata/proc"}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	first := sampler.Stop()
	second := sampler.Stop()
	if !reflect.DeepEqual(first, second) {
		t.Errorf("the second Stop returned\n%+v\nthe first\n%+v", second, first)
	}
}

// waitForRecording polls rec until done says its snapshot has what the test
// waits for, which want describes.
func waitForRecording(t *testing.T, rec *Recorder, want string, done func(recording.Recording) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		snapshot := rec.Snapshot()
		if done(snapshot) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the recording never had %s: %+v", want, snapshot)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSamplerEndsWhereARealTreeEnds(t *testing.T) {
	cmd := exec.Command("sleep", "0.3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	rec := NewRecorder(t.Name())
	sampler, err := StartSampler(rec, pid, pid, SamplerConfig{Interval: 10 * time.Millisecond}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sampler.Stop() })

	// Not reaped yet: the exited sleep is a zombie, which holds no memory.
	waitForRecording(t, rec, "the tree's end", func(r recording.Recording) bool { return r.Count(treeEnded) > 0 })
	atEnd := len(rec.Snapshot().Samples)
	time.Sleep(50 * time.Millisecond)
	got := sampler.Stop()
	if len(got.Samples) != atEnd {
		t.Errorf("the sampler went on after the tree's end: %d samples then, %d now", atEnd, len(got.Samples))
	}
	if len(got.Samples) < 5 {
		t.Errorf("%d samples of a process that lived 300 ms at 10 ms, want more", len(got.Samples))
	}
	for i, s := range got.Samples {
		if s.RSS == 0 || s.Processes != 1 {
			t.Errorf("sample %d = %+v, want the living sleep alone", i, s)
		}
	}

	// A tree that has ended already has nothing to record.
	_, err = StartSampler(NewRecorder(t.Name()), pid, pid, SamplerConfig{}, func(string) {})
	want := fmt.Sprintf("start sampler: process %d and its tree have exited, so there is no memory to record", pid)
	if err == nil || err.Error() != want {
		t.Errorf("StartSampler on the zombie: %v, want %q", err, want)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("sleep: %v", err)
	}
}
