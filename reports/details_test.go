package reports

import (
	"slices"
	"strings"
	"testing"

	"github.com/leakspec/leakspec/worker/recording"
)

func TestFigureListSaysWhichSeriesWasJudged(t *testing.T) {
	f := FiguresOf(peaksOnALine(0))
	judged := func(series recording.Series) []string {
		spec := SpecSummary{Figures: &f, Judgments: []Judgment{{Expectation: "plateau within 96.0 MB", Budget: 96_000_000, Series: series}}}
		var rows []string
		for _, row := range figureList(spec) {
			rows = append(rows, row[0]+": "+row[1])
		}
		return rows
	}
	const pss = "judged on: PSS; the figures above are of the tree's RSS"
	if rows := judged(recording.PSS); !slices.Contains(rows, pss) {
		t.Errorf("judged on PSS, the figures read %q; want the row %q", rows, pss)
	}
	for _, row := range judged("") {
		if strings.HasPrefix(row, "judged on") {
			t.Errorf("judged on RSS, the figures have the row %q", row)
		}
	}
}
