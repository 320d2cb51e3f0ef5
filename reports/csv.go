package reports

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

// CSVHeader is the first line of every series file. The columns of a Go
// worker's runtime come last, so that a tool reading the first five columns
// by position reads a new file as it read an old one.
var CSVHeader = []string{"t_seconds", "rss_bytes", "pss_bytes", "uss_bytes", "event", "heap_live_bytes", "gc_cycles"}

// csvHeaderV1 is the header of the files written before the heap columns;
// DecodeCSV still reads them, such as the recordings the matchers test on.
var csvHeaderV1 = CSVHeader[:5]

// EncodeCSV writes rec as CSV: a row per sample and a row per event, in time
// order, under CSVHeader. A sample row leaves pss_bytes and uss_bytes empty
// when they were not measured at that instant (they are sampled at the slow
// rate), and heap_live_bytes and gc_cycles empty unless the sample carries a
// Go worker's runtime figures (Sample.GoRuntime); an event row leaves every
// byte column empty and names the event ("retry", or "retry: detail" when
// the event has a detail), so a plotting tool reads blanks as gaps, never
// as zero memory.
func EncodeCSV(w io.Writer, rec recording.Recording) error {
	type row struct {
		at     time.Duration
		fields []string
	}
	rows := make([]row, 0, len(rec.Samples)+len(rec.Events))
	for _, s := range rec.Samples {
		pss, uss, heap, gc := "", "", "", ""
		if s.Detailed {
			pss, uss = strconv.FormatUint(s.PSS, 10), strconv.FormatUint(s.USS, 10)
		}
		if s.GoRuntime {
			heap, gc = strconv.FormatUint(s.HeapLive, 10), strconv.FormatUint(s.GCCycles, 10)
		}
		rows = append(rows, row{s.At, []string{seconds(s.At), strconv.FormatUint(s.RSS, 10), pss, uss, "", heap, gc}})
	}
	for _, e := range rec.Events {
		name := e.Name
		if e.Detail != "" {
			name += ": " + e.Detail
		}
		rows = append(rows, row{e.At, []string{seconds(e.At), "", "", "", name, "", ""}})
	}
	// Stable, so a sample and an event at the same instant keep the sample
	// first, and events keep the order they were recorded in.
	slices.SortStableFunc(rows, func(a, b row) int { return int(a.at - b.at) })

	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, r := range rows {
		if err := cw.Write(r.fields); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteCSV writes rec to path, creating its directory.
func WriteCSV(path string, rec recording.Recording) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if err := EncodeCSV(f, rec); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// seconds prints a duration as seconds with millisecond precision, the
// resolution a 100 ms sampler can honestly claim.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// maxFileName keeps a spec's longest file name, with an extension such as
// ".junit.xml" or ".csv", far below the 255 bytes most file systems allow.
const maxFileName = 100

// FileName turns a spec's text into a file name that is the same on every
// run, so a spec's files can be found and compared between runs: lower case,
// letters and digits kept, everything else folded into single dashes, at
// most 100 bytes. A longer name is cut and ends in a short hash of the whole
// text instead, because nested Describe texts often share their first 100
// bytes and two specs must never write over each other's files.
func FileName(text string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(text) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimRight(b.String(), "-")
	if len(name) > maxFileName {
		sum := sha256.Sum256([]byte(text))
		tag := hex.EncodeToString(sum[:4])
		name = strings.TrimRight(name[:maxFileName-len(tag)-1], "-") + "-" + tag
	}
	if name == "" {
		name = "spec"
	}
	return name
}
