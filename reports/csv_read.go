package reports

import (
	"encoding/csv"
	"errors"
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

// DecodeCSV reads a series that EncodeCSV wrote back into a Recording: a
// sample per row with an RSS, with PSS and USS when both are given (and
// Detailed set), with a Go worker's live heap and collections when both are
// given (and GoRuntime set), and an event per row that names one ("retry",
// or "retry: detail"). It also reads the files written before the heap
// columns, whose header ends at event. The CSV does not keep the
// recording's name, sampling intervals, ceiling, process counts or abort
// reason; Duration is the time of the last row. A header other than these
// two, a malformed number or a row that is neither a sample nor an event is
// an error that names the row.
func DecodeCSV(r io.Reader) (recording.Recording, error) {
	cr := csv.NewReader(r)
	// Every row must have as many fields as the header, whichever it is.
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return recording.Recording{}, errors.New("decode csv: the file is empty; want the header " + strings.Join(CSVHeader, ","))
	case err != nil:
		return recording.Recording{}, fmt.Errorf("decode csv: %w", err)
	case !slices.Equal(header, CSVHeader) && !slices.Equal(header, csvHeaderV1):
		return recording.Recording{}, fmt.Errorf("decode csv: the header is %q; want %q (or, from before the heap columns, %q)",
			strings.Join(header, ","), strings.Join(CSVHeader, ","), strings.Join(csvHeaderV1, ","))
	}
	var rec recording.Recording
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rec, nil
		}
		if err != nil {
			return recording.Recording{}, fmt.Errorf("decode csv: %w", err)
		}
		if err := decodeRow(&rec, row); err != nil {
			return recording.Recording{}, fmt.Errorf("decode csv: row %d: %w", line, err)
		}
	}
}

// decodeRow adds one row to rec.
func decodeRow(rec *recording.Recording, row []string) error {
	secs, err := strconv.ParseFloat(row[0], 64)
	if err != nil || secs < 0 {
		return fmt.Errorf("t_seconds %q is not a time in seconds", row[0])
	}
	at := time.Duration(secs*1000+0.5) * time.Millisecond
	rec.Duration = max(rec.Duration, at)
	rss, pss, uss, event := row[1], row[2], row[3], row[4]
	heap, gc := "", ""
	if len(row) == len(CSVHeader) {
		heap, gc = row[5], row[6]
	}
	switch {
	case rss == "" && event != "":
		name, detail, _ := strings.Cut(event, ": ")
		rec.Events = append(rec.Events, recording.Event{At: at, Name: name, Detail: detail})
		return nil
	case rss == "":
		return errors.New("it has neither rss_bytes nor an event")
	}
	s := recording.Sample{At: at}
	if s.RSS, err = strconv.ParseUint(rss, 10, 64); err != nil {
		return fmt.Errorf("rss_bytes %q is not a count of bytes", rss)
	}
	if pss != "" || uss != "" {
		if s.PSS, err = strconv.ParseUint(pss, 10, 64); err != nil {
			return fmt.Errorf("pss_bytes %q is not a count of bytes", pss)
		}
		if s.USS, err = strconv.ParseUint(uss, 10, 64); err != nil {
			return fmt.Errorf("uss_bytes %q is not a count of bytes", uss)
		}
		s.Detailed = true
	}
	if heap != "" || gc != "" {
		if s.HeapLive, err = strconv.ParseUint(heap, 10, 64); err != nil {
			return fmt.Errorf("heap_live_bytes %q is not a count of bytes", heap)
		}
		if s.GCCycles, err = strconv.ParseUint(gc, 10, 64); err != nil {
			return fmt.Errorf("gc_cycles %q is not a count of collections", gc)
		}
		s.GoRuntime = true
	}
	rec.Samples = append(rec.Samples, s)
	return nil
}

// ReadCSV reads the series file at path, as DecodeCSV does, and names the
// Recording after the file.
func ReadCSV(path string) (recording.Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return recording.Recording{}, fmt.Errorf("read csv: %w", err)
	}
	defer f.Close()
	rec, err := DecodeCSV(f)
	if err != nil {
		return recording.Recording{}, fmt.Errorf("read csv %s: %w", path, err)
	}
	rec.Name = strings.TrimSuffix(filepath.Base(path), ".csv")
	return rec, nil
}
