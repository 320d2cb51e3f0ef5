package matchers

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The size of the text chart: wide enough to show a few dozen teeth of a
// sawtooth, small enough to read in a CI log without scrolling.
const (
	chartColumns = 60
	chartRows    = 8
)

// blocks are the fills of one chart cell, from empty to full in eighths.
var blocks = []rune(" ▁▂▃▄▅▆▇█")

// chart draws the series v, sampled at the times at, as a bar chart of at
// most chartColumns columns and chartRows rows of block characters, with the
// sizes lo and hi at the bottom and the top of its axis. Each column shows
// the highest sample of its slice of time, so the peaks of a sawtooth survive
// the squeeze into a few columns: ratcheting peaks climb like a staircase, a
// plateau stays level. A slice of time without a sample repeats the sample
// before it, as memory is what it was last seen to be. When mark falls
// inside the series, the time axis shows where, with label under it if
// there is room: the matchers mark the end of the warm-up, or the end of
// the load.
func chart(at []time.Duration, v []float64, mark time.Duration, label string, lo, hi float64) string {
	if len(v) == 0 {
		return ""
	}
	if hi <= lo {
		hi = lo + 1
	}
	columns := min(chartColumns, len(v))
	start, span := at[0], at[len(at)-1]-at[0]
	column := func(t time.Duration) int {
		if span <= 0 {
			return 0
		}
		return min(columns-1, int(float64(t-start)*float64(columns)/float64(span)))
	}

	// heights are in eighths of a row; the lowest value still gets one, so
	// that a level series shows as a line rather than as nothing.
	levels := chartRows * len(blocks[1:])
	height := func(x float64) int {
		h := 1 + int((x-lo)/(hi-lo)*float64(levels-1)+0.5)
		return min(max(h, 1), levels)
	}
	heights := make([]int, columns)
	i := 0
	for c := range heights {
		for ; i < len(at) && column(at[i]) == c; i++ {
			heights[c] = max(heights[c], height(v[i]))
		}
		if heights[c] == 0 {
			heights[c] = height(v[i-1])
		}
	}

	top, bottom := mb(hi), mb(lo)
	gutter := max(len(top), len(bottom))
	var b strings.Builder
	for r := range chartRows {
		label, tick := "", "│"
		switch r {
		case 0:
			label, tick = top, "┤"
		case chartRows - 1:
			label, tick = bottom, "┤"
		}
		row := []rune(fmt.Sprintf("%*s %s", gutter, label, tick))
		floor := (chartRows - 1 - r) * len(blocks[1:])
		for _, h := range heights {
			row = append(row, blocks[min(max(h-floor, 0), len(blocks)-1)])
		}
		b.WriteString(strings.TrimRight(string(row), " "))
		b.WriteByte('\n')
	}

	axis := []rune(strings.Repeat("─", columns))
	marked := mark > start && mark < at[len(at)-1]
	if marked {
		axis[column(mark)] = '┴'
	}
	fmt.Fprintf(&b, "%*s └%s\n", gutter, "", string(axis))

	// The times of the first and last sample sit under the ends of the
	// axis; a chart too narrow for both lets the line run on instead of
	// letting one overwrite the other.
	first, last := seconds(start), seconds(at[len(at)-1])
	width := max(columns, len(first)+1+len(last))
	labels := []rune(strings.Repeat(" ", width))
	place(labels, 0, first)
	place(labels, width-len(last), last)
	if marked {
		note := "↑ " + label
		c := column(mark)
		if c > len(first) && c+utf8.RuneCountInString(note) < width-len(last) {
			place(labels, c, note)
		}
	}
	fmt.Fprintf(&b, "%*s  %s", gutter, "", strings.TrimRight(string(labels), " "))
	return b.String()
}

// place writes text into line from column c on, cutting what does not fit.
func place(line []rune, c int, text string) {
	for _, r := range text {
		if c >= 0 && c < len(line) {
			line[c] = r
		}
		c++
	}
}
