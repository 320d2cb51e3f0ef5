package pyheap

import (
	"sort"
	"strconv"
	"strings"
)

// Growth is how much one allocation site (one traceback) grew between two
// snapshots, summed over the worker's processes.
type Growth struct {
	// Frames is the site's traceback, innermost (the allocating line)
	// first.
	Frames []Frame `json:"frames"`
	// SizeDiff and CountDiff are the growth in bytes and in live blocks;
	// Size and Count what the site holds in the later snapshot.
	SizeDiff  int64 `json:"size_diff"`
	CountDiff int64 `json:"count_diff"`
	Size      int64 `json:"size"`
	Count     int64 `json:"count"`
}

// Diff returns the sites that grew from before to after, largest growth
// first, merged over processes. A process absent from before (forked
// later) counts from nothing. Only the sites each snapshot kept are
// compared: a site below the cut of before counts from nothing too, which
// overstates it by at most the smallest size before kept.
func Diff(before, after *Snapshot) []Growth {
	old := map[int]map[string]Site{}
	for _, ps := range before.Processes {
		sites := map[string]Site{}
		for _, s := range ps.Sites {
			sites[siteKey(s.Frames)] = s
		}
		old[ps.Pid] = sites
	}
	merged := map[string]*Growth{}
	for _, ps := range after.Processes {
		for _, s := range ps.Sites {
			key := siteKey(s.Frames)
			was := old[ps.Pid][key]
			g := merged[key]
			if g == nil {
				g = &Growth{Frames: s.Frames}
				merged[key] = g
			}
			g.SizeDiff += s.Size - was.Size
			g.CountDiff += s.Count - was.Count
			g.Size += s.Size
			g.Count += s.Count
		}
	}
	var grew []Growth
	for _, g := range merged {
		if g.SizeDiff > 0 {
			grew = append(grew, *g)
		}
	}
	sort.Slice(grew, func(i, j int) bool {
		if grew[i].SizeDiff != grew[j].SizeDiff {
			return grew[i].SizeDiff > grew[j].SizeDiff
		}
		return siteKey(grew[i].Frames) < siteKey(grew[j].Frames)
	})
	return grew
}

// siteKey identifies a traceback by its files and lines; the source text
// is left out, since only the innermost frame carries it.
func siteKey(frames []Frame) string {
	var b strings.Builder
	for _, f := range frames {
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(itoa(f.Line))
		b.WriteByte('\n')
	}
	return b.String()
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
