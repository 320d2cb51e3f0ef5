package goworker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/recording"
)

// leakerPath is testdata/leaker, built once for the test binary by TestMain.
var leakerPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "goworker-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	leakerPath = filepath.Join(dir, "leaker")
	if err := Build(context.Background(), ".", "./testdata/leaker", leakerPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func startLeaker(t *testing.T, args ...string) (*Worker, error) {
	t.Helper()
	w, err := Start(context.Background(), worker.Command{
		Argv:         append([]string{leakerPath}, args...),
		LogPath:      filepath.Join(t.TempDir(), "leaker.log"),
		ReadyTimeout: 10 * time.Second,
	})
	if w != nil {
		t.Cleanup(func() { w.Stop() })
	}
	return w, err
}

func TestAGoWorkerIsReadAndItsLeakNamed(t *testing.T) {
	w, err := startLeaker(t, "-leak", "1048576", "-every", "5ms")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.URL, "http://127.0.0.1:") {
		t.Errorf("the endpoint is at %q, want an address on 127.0.0.1", w.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before, err := w.HeapProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	probe := w.Probe(time.Second)
	var first recording.Sample
	if err := probe(&first); err != nil {
		t.Fatal(err)
	}
	if !first.GoRuntime || first.HeapLive == 0 {
		t.Fatalf("the probe gave %+v, want the runtime's live heap", first)
	}

	const grown = 32 * bytesize.MiB
	last := first
	for last.HeapLive < first.HeapLive+grown {
		if ctx.Err() != nil {
			t.Fatalf("the live heap never grew %s: first %+v, last %+v", bytesize.Format(grown), first, last)
		}
		time.Sleep(10 * time.Millisecond)
		if err := probe(&last); err != nil {
			t.Fatal(err)
		}
	}
	if last.GCCycles <= first.GCCycles {
		t.Errorf("the live heap grew from %d to %d bytes without a garbage collection: %d, then %d cycles", first.HeapLive, last.HeapLive, first.GCCycles, last.GCCycles)
	}

	after, err := w.HeapProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grownBy, err := HeapGrowth(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(grownBy) == 0 || grownBy[0].Function != "main.leakOnce" {
		t.Fatalf("the top growth is not main.leakOnce's:\n%s", FormatGrowth(grownBy, 5))
	}
	if d := grownBy[0].Delta(); d < int64(grown) {
		t.Errorf("main.leakOnce grew %s, want at least the %s the live heap grew", bytesize.FormatSigned(d), bytesize.Format(grown))
	}
}

func TestStartRefusesAWorkerThatDoesNotAnnounceItsEndpointFirst(t *testing.T) {
	w, err := startLeaker(t, "-banner", "hello from main")
	if err == nil {
		t.Fatal("Start accepted a worker whose first line is not the announcement")
	}
	for _, want := range []string{"did not announce its leakspec endpoint on its first line", `"hello from main"`, "endpoint.Serve"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	select {
	case <-w.Done():
	default:
		t.Error("the worker still runs after Start refused it")
	}
}

func TestStartFailsWhenTheWorkerExitsBeforeAnnouncing(t *testing.T) {
	_, err := startLeaker(t, "-no-such-flag")
	if err == nil || !strings.Contains(err.Error(), "exited with status 2 before it was ready") {
		t.Fatalf("Start = %v, want it to say the worker exited before it was ready", err)
	}
}
