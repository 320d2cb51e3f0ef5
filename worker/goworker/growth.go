package goworker

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// Growth is how much more live heap one function had allocated at the end
// of a run than at its start.
type Growth struct {
	// Function is the function's full name, "main.handleKeep" or
	// "github.com/hibiken/asynq.(*processor).exec".
	Function string
	// File is the file that defines it, as the profile names it.
	File string
	// Caller is, when Function belongs to Go's standard library, the
	// innermost frame outside it: the code that asked the library for
	// what grew, such as the handler that called context.WithTimeout and
	// never cancelled. CallerFile is the file that defines it. Both are
	// empty when Function is outside the standard library or when no frame
	// outside it called, as for a goroutine the library started.
	Caller, CallerFile string
	// Before and After are the in-use bytes the two profiles attribute to
	// it. Go's heap profile samples about one allocation per 512 KiB, and
	// scales what it samples up, so small figures are estimates.
	Before, After int64
}

// Delta returns After - Before.
func (g Growth) Delta() int64 { return g.After - g.Before }

// HeapGrowth compares two heap profiles of one process, taken at the start
// and at the end of a run, and returns the functions whose live allocations
// grew, the largest growth first: a pprof diff of inuse_space by function.
//
// Each sample counts for the function that allocated it, the innermost
// frame of its stack (an inlined function counts as itself), leaving out
// frames of the runtime package, so that a make or an append is charged to
// the code that wrote it. What the standard library allocates is charged to
// the library's function and, apart, to each caller of it outside the
// library (Growth.Caller): a timer that context.WithTimeout allocated for a
// handler that never cancels is the handler's growth, and would otherwise
// hide among every caller's timers. A heap profile names where memory was
// allocated, not what keeps it alive: a leak through a cache or an error
// handler is charged to the function that allocated what the cache keeps.
func HeapGrowth(before, after *profile.Profile) ([]Growth, error) {
	if before == nil || after == nil {
		return nil, errors.New("compare heap profiles: a profile is missing")
	}
	start, err := inUseByFunction(before)
	if err != nil {
		return nil, fmt.Errorf("compare heap profiles: the first %w", err)
	}
	end, err := inUseByFunction(after)
	if err != nil {
		return nil, fmt.Errorf("compare heap profiles: the second %w", err)
	}
	var grown []Growth
	for site, g := range end {
		g.Before = start[site].After
		if g.Delta() > 0 {
			grown = append(grown, g)
		}
	}
	slices.SortFunc(grown, func(a, b Growth) int {
		if d := b.Delta() - a.Delta(); d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.Function, b.Function); c != 0 {
			return c
		}
		return strings.Compare(a.Caller, b.Caller)
	})
	return grown, nil
}

// allocationSite is what a sample's in-use bytes are summed by: the
// allocating function and, for one of the standard library's, its caller.
type allocationSite struct{ function, caller string }

// inUseByFunction sums a heap profile's inuse_space by allocation site,
// into the After field.
func inUseByFunction(p *profile.Profile) (map[allocationSite]Growth, error) {
	index := -1
	for i, st := range p.SampleType {
		if st.Type == "inuse_space" {
			index = i
		}
	}
	if index < 0 {
		return nil, errors.New("profile has no inuse_space values; it is not a Go heap profile")
	}
	sums := make(map[allocationSite]Growth)
	for _, s := range p.Sample {
		fn, caller := allocator(s)
		site := allocationSite{fn.Name, caller.Name}
		g := sums[site]
		g.Function, g.File = fn.Name, fn.Filename
		g.Caller, g.CallerFile = caller.Name, caller.Filename
		g.After += s.Value[index]
		sums[site] = g
	}
	return sums, nil
}

// allocator returns the function that made a sample's allocation, the
// innermost frame outside the runtime or the innermost frame when the
// runtime allocated on its own, and, when that function is the standard
// library's, the innermost frame outside the library (zero when none is).
func allocator(s *profile.Sample) (function, caller profile.Function) {
	var frames []*profile.Function
	for _, loc := range s.Location {
		// Lines run from the innermost inlined function outwards.
		for _, line := range loc.Line {
			if line.Function != nil {
				frames = append(frames, line.Function)
			}
		}
	}
	if len(frames) == 0 {
		return profile.Function{Name: "(unknown)"}, profile.Function{}
	}
	i := slices.IndexFunc(frames, func(f *profile.Function) bool { return !strings.HasPrefix(f.Name, "runtime.") })
	if i < 0 {
		return *frames[0], profile.Function{}
	}
	if inStandardLibrary(frames[i].Name) {
		if j := slices.IndexFunc(frames[i+1:], func(f *profile.Function) bool { return !inStandardLibrary(f.Name) }); j >= 0 {
			return *frames[i], *frames[i+1+j]
		}
	}
	return *frames[i], profile.Function{}
}

// inStandardLibrary reports whether a function named as profiles name them,
// "context.WithDeadlineCause" or "github.com/hibiken/asynq.(*processor).exec",
// is in Go's standard library. Its package path is the name up to the first
// dot after the last slash; the library's paths are those whose first
// element has no dot, but for main and the elements "example" and "test",
// which Go's module reference leaves to users. A module of the user's own
// named otherwise without a dot reads as the library: its lines then name
// their caller besides.
func inStandardLibrary(function string) bool {
	pkg := function
	slash := strings.LastIndexByte(pkg, '/')
	if dot := strings.IndexByte(pkg[slash+1:], '.'); dot >= 0 {
		pkg = pkg[:slash+1+dot]
	}
	first, _, _ := strings.Cut(pkg, "/")
	switch first {
	case "main", "example", "test":
		return false
	}
	return !strings.Contains(first, ".")
}

// FormatGrowth words the top entries of a HeapGrowth for a failure message,
// one function per line, the largest growth first.
func FormatGrowth(grown []Growth, top int) string {
	if len(grown) == 0 {
		return "No function's live heap grew between the heap profiles at the start and at the end of the run."
	}
	var b strings.Builder
	var total int64
	for _, g := range grown {
		total += g.Delta()
	}
	fmt.Fprintf(&b, "The live heap grew %s between the heap profiles at the start and at the end of the run; the functions that allocated the growth:",
		bytesize.FormatSigned(total))
	shown := grown[:min(top, len(grown))]
	width := 0
	for _, g := range shown {
		width = max(width, len(bytesize.FormatSigned(g.Delta())))
	}
	for _, g := range shown {
		fmt.Fprintf(&b, "\n  %*s  %s", width, bytesize.FormatSigned(g.Delta()), g.Function)
		if g.File != "" {
			fmt.Fprintf(&b, " (%s)", g.File)
		}
		if g.Caller != "" {
			fmt.Fprintf(&b, ", called by %s", g.Caller)
			if g.CallerFile != "" {
				fmt.Fprintf(&b, " (%s)", g.CallerFile)
			}
		}
	}
	if rest := len(grown) - len(shown); rest > 0 {
		fmt.Fprintf(&b, "\n  and %d more", rest)
	}
	return b.String()
}
