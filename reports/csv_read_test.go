package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

func TestDecodeCSVReadsWhatEncodeCSVWrote(t *testing.T) {
	rec := recording.Recording{
		Samples: []recording.Sample{
			{At: 0, RSS: 30_000_000, PSS: 25_000_000, USS: 24_000_000, Detailed: true},
			{At: 100 * time.Millisecond, RSS: 31_000_000},
			{At: 1250 * time.Millisecond, RSS: 45_000_000},
			{At: 1300 * time.Millisecond, RSS: 46_000_000, HeapLive: 0, GCCycles: 0, GoRuntime: true},
			{At: 1400 * time.Millisecond, RSS: 47_000_000, HeapLive: 9_000_000, GCCycles: 12, GoRuntime: true},
		},
		Events: []recording.Event{
			{At: 50 * time.Millisecond, Name: recording.LoadStart},
			{At: 1250 * time.Millisecond, Name: "retry", Detail: "attempt 2: timeout"},
		},
	}
	var buf bytes.Buffer
	if err := EncodeCSV(&buf, rec); err != nil {
		t.Fatalf("EncodeCSV: %v", err)
	}
	got, err := DecodeCSV(&buf)
	if err != nil {
		t.Fatalf("DecodeCSV: %v", err)
	}
	want := rec
	want.Duration = 1400 * time.Millisecond
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeCSV =\n%+v\nwant\n%+v", got, want)
	}
}

func TestReadCSVNamesTheRecordingAfterItsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a-spec.csv")
	if err := os.WriteFile(path, []byte("t_seconds,rss_bytes,pss_bytes,uss_bytes,event\n0.000,4096,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadCSV(path)
	if err != nil || rec.Name != "a-spec" || len(rec.Samples) != 1 || rec.Samples[0].RSS != 4096 {
		t.Errorf("ReadCSV = %+v, %v", rec, err)
	}
	if _, err := ReadCSV(filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.HasPrefix(err.Error(), "read csv: open ") {
		t.Errorf("ReadCSV of a missing file: error %v", err)
	}
}

func TestDecodeCSVReadsTheFilesWrittenBeforeTheHeapColumns(t *testing.T) {
	old := "t_seconds,rss_bytes,pss_bytes,uss_bytes,event\n0.000,4096,3000,2000,\n0.050,,,,retry: attempt 2\n0.100,8192,,,\n"
	got, err := DecodeCSV(strings.NewReader(old))
	if err != nil {
		t.Fatalf("DecodeCSV of a five-column file: %v", err)
	}
	want := recording.Recording{
		Duration: 100 * time.Millisecond,
		Samples: []recording.Sample{
			{At: 0, RSS: 4096, PSS: 3000, USS: 2000, Detailed: true},
			{At: 100 * time.Millisecond, RSS: 8192},
		},
		Events: []recording.Event{{At: 50 * time.Millisecond, Name: "retry", Detail: "attempt 2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeCSV =\n%+v\nwant\n%+v", got, want)
	}
	// A row must still have as many fields as its file's header.
	if _, err := DecodeCSV(strings.NewReader(old + "0.2,1,,,,5,1\n")); err == nil || err.Error() != "decode csv: record on line 5: wrong number of fields" {
		t.Errorf("DecodeCSV of a seven-field row in a five-column file: error %v", err)
	}
}

func TestDecodeCSVRejectsWhatItCannotRead(t *testing.T) {
	const header = "t_seconds,rss_bytes,pss_bytes,uss_bytes,event,heap_live_bytes,gc_cycles\n"
	tests := []struct {
		name, csv, want string
	}{
		{"empty", "", "decode csv: the file is empty; want the header t_seconds,rss_bytes,pss_bytes,uss_bytes,event,heap_live_bytes,gc_cycles"},
		{"another header", "t,rss,pss,uss,event\n", `decode csv: the header is "t,rss,pss,uss,event"; want "t_seconds,rss_bytes,pss_bytes,uss_bytes,event,heap_live_bytes,gc_cycles" (or, from before the heap columns, "t_seconds,rss_bytes,pss_bytes,uss_bytes,event")`},
		{"a bad time", header + "soon,1,,,,,\n", `decode csv: row 2: t_seconds "soon" is not a time in seconds`},
		{"a negative time", header + "-1,1,,,,,\n", `decode csv: row 2: t_seconds "-1" is not a time in seconds`},
		{"a bad size", header + "0.1,12MB,,,,,\n", `decode csv: row 2: rss_bytes "12MB" is not a count of bytes`},
		{"a PSS without a USS", header + "0.1,12,10,,,,\n", `decode csv: row 2: uss_bytes "" is not a count of bytes`},
		{"a bad live heap", header + "0.1,12,,,,9MB,3\n", `decode csv: row 2: heap_live_bytes "9MB" is not a count of bytes`},
		{"a live heap without collections", header + "0.1,12,,,,9,\n", `decode csv: row 2: gc_cycles "" is not a count of collections`},
		{"an empty row", header + "0.1,,,,,,\n", "decode csv: row 2: it has neither rss_bytes nor an event"},
		{"a short row", header + "0.1,12\n", "decode csv: record on line 2: wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeCSV(strings.NewReader(tt.csv)); err == nil || err.Error() != tt.want {
				t.Errorf("DecodeCSV error = %v\nwant %s", err, tt.want)
			}
		})
	}
}
