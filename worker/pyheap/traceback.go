package pyheap

import (
	"fmt"
	"slices"
	"strings"
)

// traceback is "file.py:12 (code) <- caller.py:40 <- ...", n frames.
//
// Where the innermost frame is Python's standard library, the library's
// frames that follow it are skipped, down to the first frame outside it:
// what json.loads allocated for a caller is that caller's.
func traceback(frames []Frame, n int) string {
	if len(frames) == 0 {
		return "an unknown site"
	}
	parts := []string{describe(frames[0], frames[0].String())}
	rest := frames[1:]
	caller := slices.IndexFunc(rest, func(f Frame) bool { return !f.Stdlib })
	if !frames[0].Stdlib || caller < 0 {
		for _, f := range rest[:min(n-1, len(rest))] {
			parts = append(parts, describe(f, f.String()))
		}
		return strings.Join(parts, " <- ")
	}
	if caller == 1 {
		parts = append(parts, "1 frame in the standard library")
	} else if caller > 1 {
		parts = append(parts, fmt.Sprintf("%d frames in the standard library", caller))
	}
	for _, f := range rest[caller:min(caller+n-1, len(rest))] {
		parts = append(parts, describe(f, f.String()))
	}
	return strings.Join(parts, " <- ")
}

// describe is a frame named name, with its source line when it has one.
func describe(f Frame, name string) string {
	if f.Code != "" {
		return name + " (" + shorten(f.Code, 50) + ")"
	}
	return name
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
