package goworker

import (
	"bytes"
	"context"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

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
		// The standard library's allocation is charged to it and, apart,
		// to each caller outside it.
		"runtime.newobject time.newTimer context.WithDeadlineCause github.com/hibiken/asynq.(*processor).exec main.main": 400,
		"time.newTimer context.WithDeadlineCause main.handle":                                                            200,
		// A goroutine the library started has no caller outside it.
		"net/http.(*conn).serve runtime.goexit": 50,
	})
	got, err := HeapGrowth(before, after)
	if err != nil {
		t.Fatal(err)
	}
	want := []Growth{
		{Function: "main.keep", File: "main.go", Before: 10, After: 1024},
		{Function: "time.newTimer", File: "time.go", Caller: "github.com/hibiken/asynq.(*processor).exec", CallerFile: "github.go", After: 400},
		{Function: "main.helper", File: "main.go", Before: 0, After: 300},
		{Function: "time.newTimer", File: "time.go", Caller: "main.handle", CallerFile: "main.go", After: 200},
		{Function: "net/http.(*conn).serve", File: "net/http.go", After: 50},
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
		{Function: "context.WithDeadlineCause", File: "/go/src/context/context.go", Caller: "main.handle", CallerFile: "/src/handle.go", After: int64(bytesize.MB)},
		{Function: "runtime.malg", After: int64(bytesize.MB / 10)},
	}
	want := `The live heap grew +506.1 MB between the heap profiles at the start and at the end of the run; the functions that allocated the growth:
  +503.0 MB  main.handleKeep.func1 (/src/scenarios.go)
    +2.0 MB  main.other (/src/other.go)
    +1.0 MB  context.WithDeadlineCause (/go/src/context/context.go), called by main.handle (/src/handle.go)
  and 1 more`
	if got := FormatGrowth(grown, 3); got != want {
		t.Errorf("FormatGrowth =\n%s\nwant\n%s", got, want)
	}
	if got := FormatGrowth(nil, 5); !strings.HasPrefix(got, "No function's live heap grew") {
		t.Errorf("FormatGrowth of nothing = %q", got)
	}
}

func TestInStandardLibrary(t *testing.T) {
	for name, want := range map[string]bool{
		"context.WithDeadlineCause":                      true,
		"net/http.(*conn).serve":                         true,
		"vendor/golang.org/x/net/http2/hpack.newDecoder": true,
		"runtime.makeslice":                              true,
		"main.handle":                                    false,
		"main.(*server).run.func1":                       false,
		"github.com/hibiken/asynq.(*processor).exec":     false,
		"golang.org/x/sync/errgroup.(*Group).Go":         false,
		"gopkg.in/yaml%2ev3.unmarshal":                   false,
		"example/worker/jobs.Handle":                     false,
		"test.run":                                       false,
	} {
		if got := inStandardLibrary(name); got != want {
			t.Errorf("inStandardLibrary(%q) = %t, want %t", name, got, want)
		}
	}
}

// keepTimers asks the standard library for n contexts with a deadline and
// keeps them, as a handler that never cancels does.
//
//go:noinline
func keepTimers(n int) []context.CancelFunc {
	cancels := make([]context.CancelFunc, n)
	for i := range cancels {
		_, cancels[i] = context.WithTimeout(context.Background(), time.Hour)
	}
	return cancels
}

// heapProfileOfThisProcess returns this process's heap profile after a
// collection, so that it counts what is live now.
func heapProfileOfThisProcess(t *testing.T) *profile.Profile {
	t.Helper()
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHeapGrowthNamesWhoCalledTheStandardLibrary(t *testing.T) {
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1 // every allocation, so that the figures are exact
	before := heapProfileOfThisProcess(t)
	cancels := keepTimers(10_000)
	after := heapProfileOfThisProcess(t)
	for _, cancel := range cancels {
		cancel()
	}

	grown, err := HeapGrowth(before, after)
	if err != nil {
		t.Fatal(err)
	}
	const keeper = "github.com/leakspec/leakspec/worker/goworker.keepTimers"
	var charged int64
	for _, g := range grown {
		if g.Caller == keeper && inStandardLibrary(g.Function) {
			charged += g.Delta()
		}
	}
	t.Log(FormatGrowth(grown, 5))
	// A timerCtx and its timer are a few hundred bytes each.
	if charged < 10_000*200 {
		t.Errorf("the standard library's growth charged to %s is %d bytes for 10,000 contexts, want more than 200 bytes each:\n%s",
			keeper, charged, FormatGrowth(grown, 5))
	}
}
