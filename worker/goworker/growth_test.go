package goworker

import (
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// heapProfile builds a Go heap profile whose samples allocated inuse bytes
// through the stacks given, innermost frame first; each frame is one
// location, or several functions inlined into one location when they are
// joined by "+".
func heapProfile(samples map[string]int64) *profile.Profile {
	p := &profile.Profile{SampleType: []*profile.ValueType{
		{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
		{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
	}}
	functions := map[string]*profile.Function{}
	function := func(name string) *profile.Function {
		if f, ok := functions[name]; ok {
			return f
		}
		f := &profile.Function{ID: uint64(len(functions) + 1), Name: name, Filename: strings.Split(name, ".")[0] + ".go"}
		functions[name] = f
		return f
	}
	for stack, inuse := range samples {
		s := &profile.Sample{Value: []int64{1, inuse, 1, inuse}}
		for _, frame := range strings.Split(stack, " ") {
			loc := &profile.Location{ID: uint64(len(p.Location) + 1)}
			for _, name := range strings.Split(frame, "+") {
				loc.Line = append(loc.Line, profile.Line{Function: function(name)})
			}
			p.Location = append(p.Location, loc)
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

func TestHeapGrowthChargesTheAllocatingFunction(t *testing.T) {
	before := heapProfile(map[string]int64{
		"runtime.makeslice main.keep main.main": 10,
		"main.cache main.main":                  500,
		"runtime.malg runtime.newproc1":         7,
	})
	after := heapProfile(map[string]int64{
		// The runtime's frames are left out; make is charged to its caller.
		"runtime.makeslice main.keep main.main": 1000,
		"runtime.growslice main.keep main.loop": 24,
		// An inlined function counts as itself, not as its caller.
		"main.helper+main.outer main.main": 300,
		// Shrinking is not growth.
		"main.cache main.main": 100,
		// A sample with nothing but the runtime is the runtime's own.
		"runtime.malg runtime.newproc1": 9,
	})
	got, err := HeapGrowth(before, after)
	if err != nil {
		t.Fatal(err)
	}
	want := []Growth{
		{Function: "main.keep", File: "main.go", Before: 10, After: 1024},
		{Function: "main.helper", File: "main.go", Before: 0, After: 300},
		{Function: "runtime.malg", File: "runtime.go", Before: 7, After: 9},
	}
	if len(got) != len(want) {
		t.Fatalf("HeapGrowth = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("growth %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestHeapGrowthRefusesAProfileThatIsNotAHeapProfile(t *testing.T) {
	cpu := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples"}, {Type: "cpu"}}}
	if _, err := HeapGrowth(heapProfile(nil), cpu); err == nil || !strings.Contains(err.Error(), "not a Go heap profile") {
		t.Errorf("HeapGrowth of a CPU profile = %v, want it to say it is not a heap profile", err)
	}
	if _, err := HeapGrowth(nil, heapProfile(nil)); err == nil {
		t.Error("HeapGrowth without a first profile did not fail")
	}
}

func TestFormatGrowth(t *testing.T) {
	grown := []Growth{
		{Function: "main.handleKeep.func1", File: "/src/scenarios.go", After: int64(503 * bytesize.MB)},
		{Function: "main.other", File: "/src/other.go", Before: 0, After: int64(2 * bytesize.MB)},
		{Function: "runtime.malg", After: int64(bytesize.MB / 10)},
	}
	want := `The live heap grew +505.1 MB between the heap profiles at the start and at the end of the run; the functions that allocated the growth:
  +503.0 MB  main.handleKeep.func1 (/src/scenarios.go)
    +2.0 MB  main.other (/src/other.go)
  and 1 more`
	if got := FormatGrowth(grown, 2); got != want {
		t.Errorf("FormatGrowth =\n%s\nwant\n%s", got, want)
	}
	if got := FormatGrowth(nil, 5); !strings.HasPrefix(got, "No function's live heap grew") {
		t.Errorf("FormatGrowth of nothing = %q", got)
	}
}
