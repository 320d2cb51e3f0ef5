package matchers

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestChart(t *testing.T) {
	tests := []struct {
		name   string
		at     []time.Duration
		v      []float64
		mark   time.Duration
		lo, hi float64
		want   string
	}{
		{
			// Heights are 1 + round((v-lo)/(hi-lo) * 63) eighths: 0 MB
			// gets the one eighth every sample has, 9 MB a full row and
			// two eighths, 63 MB all eight rows.
			name: "heights in eighths of a row",
			at:   []time.Duration{0, time.Second, 2 * time.Second},
			v:    []float64{0, 9e6, 63e6},
			lo:   0, hi: 63e6,
			want: `63.0 MB ┤  █
        │  █
        │  █
        │  █
        │  █
        │  █
        │ ▂█
 0.0 MB ┤▁██
        └───
         0.0 s 2.0 s`,
		},
		{
			// Five columns of a second. The first holds 10, 60 and 10 MB
			// and shows its peak, 61 eighths. Nothing was sampled from 1 s
			// to 4 s: those columns repeat the last sample, 10 MB (11
			// eighths), not the 60 MB peak of the column before them.
			name: "a gap repeats the last sample",
			at:   []time.Duration{0, 500 * time.Millisecond, 900 * time.Millisecond, 4 * time.Second, 5 * time.Second},
			v:    []float64{10e6, 60e6, 10e6, 10e6, 10e6},
			lo:   0, hi: 63e6,
			want: `63.0 MB ┤▅
        │█
        │█
        │█
        │█
        │█
        │█▃▃▃▃
 0.0 MB ┤█████
        └─────
         0.0 s 5.0 s`,
		},
		{
			name: "a constant series with no room between lo and hi",
			at:   []time.Duration{0, time.Second, 2 * time.Second},
			v:    []float64{5e6, 5e6, 5e6},
			lo:   5e6, hi: 5e6,
			want: `5.0 MB ┤
       │
       │
       │
       │
       │
       │
5.0 MB ┤▁▁▁
       └───
        0.0 s 2.0 s`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chart(tt.at, tt.v, tt.mark, "warm-up ends", tt.lo, tt.hi); got != tt.want {
				t.Errorf("chart =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestChartOfALongRun(t *testing.T) {
	// Ten minutes at 100 ms: 6001 samples of a level 50 MB with a spike to
	// 90 MB at 7 s, and a warm-up of 2 minutes.
	var at []time.Duration
	var v []float64
	for k := 0; k <= 6000; k++ {
		at = append(at, time.Duration(k)*100*time.Millisecond)
		v = append(v, 50e6)
	}
	v[70] = 90e6
	got := chart(at, v, 2*time.Minute, "warm-up ends", 50e6, 90e6)
	lines := strings.Split(got, "\n")
	if len(lines) != chartRows+2 {
		t.Fatalf("chart has %d lines, want %d:\n%s", len(lines), chartRows+2, got)
	}
	// The spike falls in the first column, whose 10 s hold it: squeezing
	// a long run into 60 columns keeps its peaks.
	if top := lines[0]; !strings.HasSuffix(top, "┤█") {
		t.Errorf("the top row %q does not show the spike in the first column", top)
	}
	if bottom := lines[chartRows-1]; !strings.HasSuffix(bottom, "┤█"+strings.Repeat("▁", chartColumns-1)) {
		t.Errorf("the bottom row %q is not the spike followed by a level line of %d columns", bottom, chartColumns-1)
	}
	axis := lines[chartRows]
	if n := utf8.RuneCountInString(strings.TrimSpace(axis)); n != chartColumns+1 {
		t.Errorf("the axis %q is %d runes long, want %d", axis, n, chartColumns+1)
	}
	// Two minutes of ten fall at column 12, after the 7 runes of "50.0 MB"
	// and " └".
	if i := strings.IndexRune(axis, '┴'); i < 0 || utf8.RuneCountInString(axis[:i]) != 7+2+12 {
		t.Errorf("the axis %q does not mark the warm-up at column 12", axis)
	}
	want := "         0.0 s       ↑ warm-up ends                           600.0 s"
	if labels := lines[chartRows+1]; labels != want {
		t.Errorf("time labels =\n%q\nwant\n%q", labels, want)
	}
}
