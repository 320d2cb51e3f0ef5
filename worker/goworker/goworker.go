// Package goworker runs a Go worker under test and reads its runtime while
// it runs: its live heap and garbage collections at every sample, and heap
// profiles that name the functions whose allocations stayed live.
//
// A Go worker takes part by serving leakspec's endpoint (package
// endpoint) and announcing it as its first log line:
//
//	func main() {
//		if _, err := endpoint.Serve(os.Stderr); err != nil {
//			log.Fatal(err)
//		}
//		... // the worker itself
//	}
//
// Build compiles it, Start runs it in its own process group like any worker
// (worker.Start) and learns the endpoint from that line, Worker.Probe adds
// the runtime's figures to every sample of the process tree, and
// HeapProfile and HeapGrowth tell which functions allocated what was still
// live at the end and not at the start.
package goworker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/leakspec/leakspec/internal/gobuild"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/goworker/endpoint"
	"github.com/leakspec/leakspec/worker/recording"
)

// Build compiles the Go package pkg into the executable out, running the
// go command found on PATH in dir, usually the root of the module that holds
// pkg (then pkg may be a relative path such as "./fixtures/asynqworker"),
// or any directory of a module that requires pkg's module (then pkg is an
// import path). It builds with the flags go test uses, so that the packages
// a test binary has compiled are reused from Go's build cache. The go
// command runs in a process group of its own, killed whole when ctx ends.
func Build(ctx context.Context, dir, pkg, out string) error {
	return gobuild.Build(ctx, dir, pkg, out)
}

// Worker is a running Go worker that serves leakspec's endpoint.
type Worker struct {
	*worker.Process
	// URL is the endpoint's base URL, such as "http://127.0.0.1:41234".
	URL string

	client *http.Client
}

// announced matches an announcement of the endpoint, so that Start can wait
// for it when the caller gives no readiness line of its own.
var announced = regexp.MustCompile("^" + regexp.QuoteMeta(endpoint.Announcement("")))

// Start runs the worker cmd describes (see worker.Start) and reads the
// address of its endpoint from its first log line. When cmd.Ready is nil,
// the worker is ready once it has announced the endpoint. A worker whose
// first line is not the announcement is stopped, and Start says so.
//
// Like worker.Start, when the worker started but failed, Start returns the
// Worker along with the error, its group already killed and reaped.
func Start(ctx context.Context, cmd worker.Command) (*Worker, error) {
	var (
		mu        sync.Mutex
		first     string
		seen, got bool
		url       string
	)
	onLine := cmd.OnLine
	cmd.OnLine = func(line string) {
		mu.Lock()
		if !seen {
			seen, first = true, line
			url, got = endpoint.ParseAnnouncement(line)
		}
		mu.Unlock()
		if onLine != nil {
			onLine(line)
		}
	}
	if cmd.Ready == nil {
		cmd.Ready = announced
	}
	proc, err := worker.Start(ctx, cmd)
	if proc == nil {
		return nil, err
	}
	w := &Worker{Process: proc, client: &http.Client{}}
	if err != nil {
		return w, err
	}
	// The ready line has been read, and lines are handled in order, so
	// the first line is known by now.
	mu.Lock()
	defer mu.Unlock()
	if !got {
		proc.Kill("it did not announce its leakspec endpoint")
		proc.Stop()
		return w, fmt.Errorf("start go worker: %s did not announce its leakspec endpoint on its first line, which reads %q; call endpoint.Serve first thing in main",
			cmd.Argv[0], first)
	}
	w.URL = url
	return w, nil
}

// Metrics returns the worker's runtime/metrics values (see
// endpoint.Metrics), by name.
func (w *Worker) Metrics(ctx context.Context) (map[string]uint64, error) {
	body, err := w.get(ctx, endpoint.MetricsPath)
	if err != nil {
		return nil, fmt.Errorf("read go runtime metrics: %w", err)
	}
	var m map[string]uint64
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("read go runtime metrics: %s did not answer with a JSON object of numbers: %w", w.URL+endpoint.MetricsPath, err)
	}
	return m, nil
}

// Probe returns a probe for worker.SamplerConfig.Probe that adds the
// worker's live heap and garbage collection count to every sample, each
// read given at most timeout, so that a wedged worker delays the sampler
// that long at most.
func (w *Worker) Probe(timeout time.Duration) func(*recording.Sample) error {
	return func(s *recording.Sample) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		m, err := w.Metrics(ctx)
		if err != nil {
			return err
		}
		live, ok := m[endpoint.HeapLive]
		if !ok {
			return fmt.Errorf("read go runtime metrics: the worker's runtime does not report %s, which Go 1.21 and later do", endpoint.HeapLive)
		}
		s.HeapLive, s.GCCycles, s.GoRuntime = live, m[endpoint.GCCycles], true
		return nil
	}
}

// HeapProfile returns the worker's heap profile, taken right after a
// garbage collection that it asks for, so that the profile's in-use figures
// are what is live now.
func (w *Worker) HeapProfile(ctx context.Context) (*profile.Profile, error) {
	body, err := w.get(ctx, endpoint.ProfilePath+"?gc=1")
	if err != nil {
		return nil, fmt.Errorf("take heap profile: %w", err)
	}
	p, err := profile.ParseData(body)
	if err != nil {
		return nil, fmt.Errorf("take heap profile: %w", err)
	}
	return p, nil
}

// WriteHeapProfile writes the worker's heap profile (see HeapProfile), as
// the endpoint gives it, to path: a file that `go tool pprof` reads, and
// `go tool pprof -diff_base before after` compares.
func (w *Worker) WriteHeapProfile(ctx context.Context, path string) error {
	body, err := w.get(ctx, endpoint.ProfilePath+"?gc=1")
	if err != nil {
		return fmt.Errorf("take heap profile: %w", err)
	}
	if _, err := profile.ParseData(body); err != nil {
		return fmt.Errorf("take heap profile: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write heap profile: %w", err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fmt.Errorf("write heap profile: %w", err)
	}
	return nil
}

// HeapGrowth words the growth of the live heap by allocating function from
// the profile in the file before to the one in after, the top functions
// first (see HeapGrowth and FormatGrowth).
func (w *Worker) HeapGrowth(before, after string) (string, error) {
	const top = 5
	var profiles [2]*profile.Profile
	for i, path := range []string{before, after} {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read heap profile: %w", err)
		}
		if profiles[i], err = profile.ParseData(data); err != nil {
			return "", fmt.Errorf("read heap profile %s: %w", path, err)
		}
	}
	grown, err := HeapGrowth(profiles[0], profiles[1])
	if err != nil {
		return "", err
	}
	return FormatGrowth(grown, top), nil
}

// get fetches a path of the endpoint.
func (w *Worker) get(ctx context.Context, path string) ([]byte, error) {
	if w.URL == "" {
		return nil, errors.New("the worker has no endpoint")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.URL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %s", req.URL, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}
