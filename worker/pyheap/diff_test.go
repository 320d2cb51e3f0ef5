package pyheap

import (
	"strings"
	"testing"
)

func TestDiffMergesProcessesAndKeepsGrowthOnly(t *testing.T) {
	keep := []Frame{{File: "/app/jobs.py", Line: 12, Code: "_kept.append(data)"}, {File: "/lib/rq/job.py", Line: 1215}}
	churn := []Frame{{File: "/app/jobs.py", Line: 30}}
	before := &Snapshot{Processes: []ProcessSnapshot{
		{Pid: 10, Traced: 1000, Sites: []Site{{Size: 100, Count: 1, Frames: keep}, {Size: 500, Count: 5, Frames: churn}}},
	}}
	after := &Snapshot{Processes: []ProcessSnapshot{
		{Pid: 10, Traced: 5_001_000, Sites: []Site{{Size: 3_000_100, Count: 4, Frames: keep}, {Size: 200, Count: 2, Frames: churn}}},
		// A child forked after before counts from nothing.
		{Pid: 11, Traced: 2_000_000, Sites: []Site{{Size: 2_000_000, Count: 2, Frames: keep}}},
	}}
	got := Diff(before, after)
	if len(got) != 1 {
		t.Fatalf("Diff = %+v, want the one site that grew", got)
	}
	if g := got[0]; g.SizeDiff != 5_000_000 || g.CountDiff != 5 || g.Size != 5_000_100 || g.Count != 6 {
		t.Errorf("Diff = %+v, want +5000000 bytes in +5 blocks, 5000100 in 6 held", g)
	}
	if d := tracedGrowth(before, after); d != 7_000_000 {
		t.Errorf("tracedGrowth = %d, want 7000000", d)
	}
}

func TestTextNamesSiteChainAndVerdict(t *testing.T) {
	site := []Frame{{File: "/app/jobs.py", Line: 12, Code: "_kept.append(data)"}, {File: "/lib/rq/job.py", Line: 1215}}
	r := &Report{
		Before: &Snapshot{Processes: []ProcessSnapshot{{Tracing: true}}},
		Growth: []Growth{{Frames: site, SizeDiff: 40_000_000, CountDiff: 10}, {Frames: []Frame{{File: "/lib/x.py", Line: 1}}, SizeDiff: 999_999}},
		Retained: []Retained{
			{Type: "bytes", Size: 4_000_033, Allocated: site, Chain: []string{"bytes (4.0 MB)", "list[9]", "jobs._kept (module global)"}, Complete: true},
			{Type: "bytes", Size: 4_000_033, Allocated: site, Chain: []string{"bytes (4.0 MB)", "list[8]", "jobs._kept (module global)"}, Complete: true},
		},
		Collected:    []Collected{{Collected: 7, TracedBefore: 40_100_000, TracedAfter: 40_000_000}},
		TracedGrowth: 40_100_000,
	}
	want := "+40.0 MB in +10 blocks at jobs.py:12 (_kept.append(data)) <- job.py:1215\n" +
		"  retained by: bytes (4.0 MB) <- list[9] <- jobs._kept (module global) (and 1 more alike)\n" +
		"gc.collect() freed 7 objects and 0.1 MB of traced memory: the growth is reachable, not garbage."
	if got := r.Text(); got != want {
		t.Errorf("Text() =\n%s\nwant\n%s", got, want)
	}
	r.Collected[0].TracedAfter = 100_000
	if !r.CyclicGarbage() {
		t.Error("CyclicGarbage() = false when gc.collect() freed all the growth")
	}
	want = "gc.collect() freed 7 objects and 40.0 MB of traced memory: " +
		"that much was garbage in reference cycles, which only Python's cyclic collector frees, and it counts objects, not bytes: break the cycles that hold it."
	if got := r.Text(); !strings.HasSuffix(got, "\n"+want) {
		t.Errorf("Text() =\n%s\nwant it to end with\n%s", got, want)
	}
}

// TestTextChainsEachSiteWithItsOwnObject: two sites that share their
// innermost line (json.loads called from two places) each name the chain of
// an object allocated with their whole traceback, whichever is larger.
func TestTextChainsEachSiteWithItsOwnObject(t *testing.T) {
	decoder := Frame{File: "/usr/lib/python3.11/json/decoder.py", Line: 353, Stdlib: true}
	results := []Frame{decoder, {File: "/app/backend.py", Line: 40}}
	config := []Frame{decoder, {File: "/app/config.py", Line: 7}}
	r := &Report{
		Before: &Snapshot{Processes: []ProcessSnapshot{{Tracing: true}}},
		Growth: []Growth{{Frames: results, SizeDiff: 30_000_000, CountDiff: 2000}, {Frames: config, SizeDiff: 2_000_000, CountDiff: 1}},
		Retained: []Retained{
			{Type: "str", Size: 2_000_049, Allocated: config, Chain: []string{"str (2.0 MB)", "config.CACHE (module global)"}, Complete: true},
			{Type: "str", Size: 16_049, Allocated: results, Chain: []string{"str (16.0 KB)", "dict['result']", "Backend._pending (module global)"}, Complete: true, BySite: true},
		},
	}
	text := r.Text()
	for _, want := range []string{
		"+30.0 MB in +2000 blocks at decoder.py:353 <- backend.py:40\n  retained by: str (16.0 KB) <- dict['result'] <- Backend._pending (module global)\n",
		"+2.0 MB in +1 blocks at decoder.py:353 <- config.py:7\n  retained by: str (2.0 MB) <- config.CACHE (module global)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks\n%s\nin\n%s", want, text)
		}
	}
}

// TestTextPrefersAChainThatReachesARoot: of a site's objects, one held by
// garbage and one by a buffer, the buffer's chain is the one that says what
// keeps the site, whichever object is larger.
func TestTextPrefersAChainThatReachesARoot(t *testing.T) {
	site := []Frame{{File: "/app/reader.py", Line: 9}}
	r := &Report{
		Before: &Snapshot{Processes: []ProcessSnapshot{{Tracing: true}}},
		Growth: []Growth{{Frames: site, SizeDiff: 20_000_000, CountDiff: 1200}},
		Retained: []Retained{
			{Type: "str", Size: 16_049, Allocated: site, Chain: []string{"str (16.0 KB)", "dict['result']", "AsyncResult._cache"}, Stopped: "depth or garbage", BySite: true},
			{Type: "dict", Size: 184, Allocated: site, Chain: []string{"dict (184 B)", "dict['4f1c']", "RedisBackend._pending_messages", "app.backend (module global)"}, Complete: true, BySite: true},
		},
	}
	want := "  retained by: dict (184 B) <- dict['4f1c'] <- RedisBackend._pending_messages <- app.backend (module global)"
	if text := r.Text(); !strings.Contains(text, want) {
		t.Errorf("Text() lacks\n%s\nin\n%s", want, text)
	}
}

func TestTextSaysWhenTheWorkersOwnCollectorFreedMostOfWhatItMade(t *testing.T) {
	// Untraced, as by default: 45 MB of RSS grew and the last collection
	// found little garbage, but the worker's collector had freed far more
	// objects than it holds, as Celery 5.2 failing 3,000 tasks did.
	r := &Report{
		Before:    &Snapshot{Processes: []ProcessSnapshot{{RSS: 47_000_000}}},
		After:     &Snapshot{Processes: []ProcessSnapshot{{RSS: 92_000_000}}},
		Collected: []Collected{{Collected: 2214, GarbageBytes: 7_600_000, ObjectsBefore: 120_000, AutoCollected: 6_200_000, AutoFullCollections: 4}},
	}
	want := "gc.collect() freed 2214 objects and 7.6 MB of garbage (by size) of an RSS growth of +45.0 MB: " +
		"the growth is not cyclic garbage (it is reachable, or memory the allocator kept). " +
		"But before it, the worker's own collector had freed 6200000 objects in 4 full collections, more than the 120000 it holds: " +
		"garbage in reference cycles came and went during the run, and RSS may keep what the allocator got back."
	if got := r.Text(); !strings.HasSuffix(got, "\n"+want) {
		t.Errorf("Text() =\n%s\nwant it to end with\n%s", got, want)
	}
	// A worker whose collector freed fewer objects than it holds, as
	// every worker's does at import, gets no such sentence.
	r.Collected[0].AutoCollected = 90_000
	if got := r.Text(); strings.Contains(got, "came and went") {
		t.Errorf("Text() =\n%s\nwant no word of the worker's own collector", got)
	}
}

func TestTextSaysASmallRSSGrowthIsWithinItsNoise(t *testing.T) {
	r := &Report{
		Before:    &Snapshot{Processes: []ProcessSnapshot{{RSS: 47_000_000}}},
		After:     &Snapshot{Processes: []ProcessSnapshot{{RSS: 53_500_000}}},
		Collected: []Collected{{Collected: 300, GarbageBytes: 2_900_000, ObjectsBefore: 120_000}},
	}
	want := "gc.collect() freed 300 objects and 2.9 MB of garbage (by size) of an RSS growth of +6.5 MB: " +
		"a growth under 16.0 MB is within what a worker's RSS varies by, too little to tell garbage from memory kept."
	if got := r.Text(); !strings.HasSuffix(got, "\n"+want) {
		t.Errorf("Text() =\n%s\nwant it to end with\n%s", got, want)
	}
}

func TestTracebackSkipsTheStandardLibraryToItsCaller(t *testing.T) {
	decoded := []Frame{
		{File: "/usr/lib/python3.11/json/decoder.py", Line: 353, Code: "obj, end = self.scan_once(s, idx)", Stdlib: true},
		{File: "/usr/lib/python3.11/json/decoder.py", Line: 337, Stdlib: true},
		{File: "/usr/lib/python3.11/json/__init__.py", Line: 346, Stdlib: true},
		{File: "/usr/lib/python3/dist-packages/kombu/utils/json.py", Line: 70, Code: "return _loads(s)", Rel: "kombu/utils/json.py"},
		{File: "/usr/lib/python3/dist-packages/celery/backends/redis.py", Line: 120, Rel: "celery/backends/redis.py"},
		{File: "/usr/lib/python3/dist-packages/celery/backends/asynchronous.py", Line: 200, Rel: "celery/backends/asynchronous.py"},
	}
	for _, tt := range []struct {
		frames []Frame
		want   string
	}{
		{decoded, "decoder.py:353 (obj, end = self.scan_once(s, idx)) <- 2 frames in the standard library <- kombu/utils/json.py:70 (return _loads(s)) <- celery/backends/redis.py:120"},
		// A caller right above the library is not a skip.
		{decoded[2:], "__init__.py:346 <- kombu/utils/json.py:70 (return _loads(s)) <- celery/backends/redis.py:120"},
		// Nothing outside the library among the frames kept: as they are.
		{decoded[:3], "decoder.py:353 (obj, end = self.scan_once(s, idx)) <- decoder.py:337 <- __init__.py:346"},
		// Outside the library, frames are named by their path from sys.path,
		// so that kombu's json.py is not read as the library's.
		{decoded[3:], "kombu/utils/json.py:70 (return _loads(s)) <- celery/backends/redis.py:120 <- celery/backends/asynchronous.py:200"},
		{nil, "an unknown site"},
	} {
		if got := traceback(tt.frames, 3); got != tt.want {
			t.Errorf("traceback =\n%s\nwant\n%s", got, tt.want)
		}
	}
}

func TestTextSaysWhenEveryFrameKeptIsTheStandardLibrarys(t *testing.T) {
	decoded := []Frame{
		{File: "/usr/lib/python3.11/json/decoder.py", Line: 353, Code: "obj, end = self.scan_once(s, idx)", Stdlib: true},
		{File: "/usr/lib/python3.11/json/decoder.py", Line: 337, Stdlib: true},
		{File: "/usr/lib/python3.11/json/__init__.py", Line: 346, Stdlib: true},
	}
	r := &Report{
		Before:       &Snapshot{Processes: []ProcessSnapshot{{Tracing: true}}},
		Growth:       []Growth{{Frames: decoded, SizeDiff: 65_600_000, CountDiff: 50287}},
		TracedGrowth: 65_600_000,
	}
	want := "+65.6 MB in +50287 blocks at decoder.py:353 (obj, end = self.scan_once(s, idx)) <- decoder.py:337 <- __init__.py:346\n" +
		"  all 3 frames kept are Python's standard library: trace more, fixtures.TraceHeapFrames(6), to reach the code that asked it for this memory"
	if got := r.Text(); got != want {
		t.Errorf("Text() =\n%s\nwant\n%s", got, want)
	}
}
