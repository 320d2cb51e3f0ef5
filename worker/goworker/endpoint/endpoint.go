// Package endpoint is the side of leakspec that runs inside a Go worker: a
// small HTTP server on loopback that shows the worker's runtime to the
// suite. A Go worker under test calls Serve first thing in main:
//
//	addr, err := endpoint.Serve(os.Stderr)
//	if err != nil {
//		log.Fatal(err)
//	}
//
// Serve listens on 127.0.0.1 at a port the kernel picks, so parallel suite
// processes never collide, and announces it as the worker's first log line,
// which the goworker package reads to find it. The server answers
//
//   - MetricsPath: a JSON object of runtime/metrics values (Metrics), read
//     at every sample: the live heap lags the program by one collection at
//     most, where RSS lags the scavenger;
//   - ProfilePath and the rest of /debug/pprof/: net/http/pprof, whose heap
//     profile names the function that allocated what is live.
//
// The package imports the standard library only. Its module is leakspec's,
// though, so a worker whose module imports it also requires what leakspec
// requires, asynq and go-redis among them, at leakspec's versions or later.
// A worker that must run an older version, the one before a fix, copies
// this file into a package of its own module instead: it is the whole
// package, and it needs nothing else. It does import net/http/pprof, which
// registers its handlers on http.DefaultServeMux as well: a worker that
// serves DefaultServeMux on a public address exposes them there.
package endpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/metrics"
	"strings"
	"time"
)

// The paths the server answers.
const (
	// MetricsPath serves Metrics as JSON.
	MetricsPath = "/debug/leakspec/metrics"
	// ProfilePath serves the heap profile (pprof's protobuf format); add
	// "?gc=1" to run a garbage collection first, so that it shows exactly
	// what is live.
	ProfilePath = "/debug/pprof/heap"
)

// The runtime/metrics names that the suite reads. Metrics serves these and
// a few more that help a person read a report.
const (
	// HeapLive is the heap memory occupied by objects that the last
	// garbage collection marked live.
	HeapLive = "/gc/heap/live:bytes"
	// GCCycles counts the garbage collections completed since the program
	// started.
	GCCycles = "/gc/cycles/total:gc-cycles"
)

// Metrics are the runtime/metrics values served at MetricsPath.
var Metrics = []string{
	HeapLive,
	GCCycles,
	"/gc/heap/goal:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/total:bytes",
	"/sched/goroutines:goroutines",
}

// announcement starts the line that Serve prints; the rest of the line is
// the server's base URL.
const announcement = "leakspec endpoint: "

// Announcement returns the line that announces a server at addr (host:port).
func Announcement(addr string) string {
	return announcement + "http://" + addr
}

// ParseAnnouncement returns the base URL ("http://127.0.0.1:41234") that an
// announcement line gives, and false for any other line.
func ParseAnnouncement(line string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), announcement)
	if !ok || !strings.HasPrefix(rest, "http://127.0.0.1:") {
		return "", false
	}
	return rest, true
}

// Serve starts the server on 127.0.0.1 at a port the kernel picks, writes
// its announcement to w as one line, and returns its host:port. The server
// runs until the program exits.
func Serve(w io.Writer) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("serve leakspec endpoint: %w", err)
	}
	srv := &http.Server{Handler: Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // it only ends with the program
	addr := ln.Addr().String()
	if _, err := fmt.Fprintln(w, Announcement(addr)); err != nil {
		ln.Close()
		return "", fmt.Errorf("announce leakspec endpoint: %w", err)
	}
	return addr, nil
}

// Handler returns the server's handler, for a worker that would rather
// serve it from a listener of its own (on loopback only). The pprof
// handlers are mounted on this handler's own mux, so a worker's public
// server never exposes them through it.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(MetricsPath, serveMetrics)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// serveMetrics answers {"/gc/heap/live:bytes": 4194304, ...}. Every metric
// in Metrics is a uint64, which JSON carries exactly.
func serveMetrics(w http.ResponseWriter, _ *http.Request) {
	samples := make([]metrics.Sample, len(Metrics))
	for i, name := range Metrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	out := make(map[string]uint64, len(samples))
	for _, s := range samples {
		// A metric this Go release does not know comes back as
		// KindBad; leaving it out says so better than a zero.
		if s.Value.Kind() == metrics.KindUint64 {
			out[s.Name] = s.Value.Uint64()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out) //nolint:errcheck // the client went away
}
