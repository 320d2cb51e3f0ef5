package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

func TestEncodeCSV(t *testing.T) {
	rec := recording.Recording{
		Samples: []recording.Sample{
			{At: 0, RSS: 40_000_000, PSS: 30_000_000, USS: 25_000_000, Detailed: true, Processes: 1},
			{At: 100 * time.Millisecond, RSS: 41_000_000, Processes: 1},
			{At: 200 * time.Millisecond, RSS: 169_000_000, Processes: 2},
			// A Go worker's sample carries its runtime's figures, zero
			// before the first collection.
			{At: 300 * time.Millisecond, RSS: 12_000_000, Processes: 1, GoRuntime: true},
			{At: 400 * time.Millisecond, RSS: 15_000_000, Processes: 1, HeapLive: 2_500_000, GCCycles: 3, GoRuntime: true},
		},
		Events: []recording.Event{
			{At: 150 * time.Millisecond, Name: "retry", Detail: "message 1, attempt 2"},
			{At: 100 * time.Millisecond, Name: "enqueued"},
			{At: 1500 * time.Microsecond, Name: `a "quoted", name`},
		},
	}
	var buf bytes.Buffer
	if err := EncodeCSV(&buf, rec); err != nil {
		t.Fatal(err)
	}
	want := `t_seconds,rss_bytes,pss_bytes,uss_bytes,event,heap_live_bytes,gc_cycles
0.000,40000000,30000000,25000000,,,
0.002,,,,"a ""quoted"", name",,
0.100,41000000,,,,,
0.100,,,,enqueued,,
0.150,,,,"retry: message 1, attempt 2",,
0.200,169000000,,,,,
0.300,12000000,,,,0,0
0.400,15000000,,,,2500000,3
`
	if got := buf.String(); got != want {
		t.Errorf("EncodeCSV wrote\n%s\nwant\n%s", got, want)
	}
}

func TestWriteCSVCreatesTheDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suite", "spec.csv")
	if err := WriteCSV(path, recording.Recording{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "t_seconds,rss_bytes,pss_bytes,uss_bytes,event,heap_live_bytes,gc_cycles\n" {
		t.Errorf("an empty recording wrote %q, want the header alone", data)
	}
}

func TestFileName(t *testing.T) {
	for text, want := range map[string]string{
		"an RQ SimpleWorker is caught leaking when every job keeps its 16 MiB (positive control)": "an-rq-simpleworker-is-caught-leaking-when-every-job-keeps-its-16-mib-positive-control",
		"  Dramatiq: async actor / 128 MB!  ":                                                     "dramatiq-async-actor-128-mb",
		"":                                                                                        "spec",
		"✓✓✓":                                                                                     "spec",
	} {
		if got := FileName(text); got != want {
			t.Errorf("FileName(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestFileNameOfLongTexts(t *testing.T) {
	prefix := strings.Repeat("a worker in scenario ", 6)
	first, second := prefix+"keeps its data", prefix+"drops its data"
	want := "a-worker-in-scenario-a-worker-in-scenario-a-worker-in-scenario-a-worker-in-scenario-a-worke-b50194e0"
	if got := FileName(first); got != want {
		t.Errorf("FileName(%q) = %q, want %q", first, got, want)
	}
	if FileName(first) == FileName(second) {
		t.Errorf("two specs sharing their first 100 bytes got one file name, %q", FileName(first))
	}
	for _, text := range []string{first, second, string(bytes.Repeat([]byte("ab "), 80))} {
		if name := FileName(text); len(name) > 100 {
			t.Errorf("FileName(%q) = %q, %d bytes, want at most 100", text, name, len(name))
		}
	}
}
