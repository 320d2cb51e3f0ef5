package worker

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

// never is a rescan period that no test outlives: every sample after the
// first then finds the tree by its children links alone.
const never = time.Duration(1<<63 - 1)

// fixtureSample is the fixture tree of 200, as every way of finding it must
// sum it (see testdata/README.md).
var fixtureSample = recording.Sample{RSS: fixtureRSS, Processes: fixtureProcesses}

func TestTreeWalksTheFixtureToWhatItScans(t *testing.T) {
	tree := NewTree(fixtureProc, fixtureRoot, fixtureRoot)
	tree.rescan = never
	first, err := tree.Sample(false)
	if err != nil {
		t.Fatalf("the first sample, a scan: %v", err)
	}
	scanned := tree.scanned
	// The walk has to read the children of every thread: 202 is the child
	// of 201's second thread, 204, and no group or parent link that the
	// walk follows leads to it otherwise. 210 is reached as an entry point
	// of the scan, and 220 is listed by 200 but has gone.
	for i := range 3 {
		got, err := tree.Sample(false)
		if err != nil {
			t.Fatalf("walk %d: %v", i+1, err)
		}
		if got != fixtureSample {
			t.Errorf("walk %d = %+v, want %+v", i+1, got, fixtureSample)
		}
	}
	if first != fixtureSample {
		t.Errorf("the scan = %+v, want %+v", first, fixtureSample)
	}
	if tree.scanned != scanned || tree.noLinks {
		t.Errorf("the samples after the first scanned /proc again; they should have walked the children links")
	}
	// 220's stat is still there, in the group, but the process is not: it
	// is no member, and no entry point to walk from again.
	if !slices.Equal(tree.entries, []int{210}) {
		t.Errorf("the entry points after the walks are %v, want [210]", tree.entries)
	}
}

func TestTreeScansEverySampleWhereTheKernelHasNoChildrenFiles(t *testing.T) {
	// The fixture, less its children files but with its task directories:
	// a kernel without CONFIG_PROC_CHILDREN.
	root := t.TempDir()
	err := filepath.WalkDir(fixtureProc, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() == "children" {
			return err
		}
		rel, _ := filepath.Rel(fixtureProc, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(root, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(root, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	tree := NewTree(root, fixtureRoot, fixtureRoot)
	tree.rescan = never
	for i := range 3 {
		got, err := tree.Sample(false)
		if err != nil {
			t.Fatalf("sample %d: %v", i+1, err)
		}
		if got != fixtureSample {
			t.Errorf("sample %d = %+v, want %+v", i+1, got, fixtureSample)
		}
	}
	if !tree.noLinks {
		t.Error("the tree did not notice that the kernel has no children files")
	}
}

func TestTreeFindsNewChildrenBetweenScans(t *testing.T) {
	real := startRealTree(t, 3, 0)
	tree := NewTree("", real.pid(), real.pid())
	tree.rescan = never
	before, err := tree.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	real.grow(t)
	after, err := tree.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	scanned, err := SampleTree("", real.pid(), real.pid(), false)
	if err != nil {
		t.Fatal(err)
	}
	if before.Processes != 1 || after.Processes != 4 {
		t.Errorf("the tree had %d then %d processes, want 1 then 4 (the leader and the 3 children it forked)",
			before.Processes, after.Processes)
	}
	if scanned.Processes != after.Processes {
		t.Errorf("a scan found %d processes where the walk found %d", scanned.Processes, after.Processes)
	}
}

func TestTreeKeepsAnOrphanOfTheGroupBetweenScans(t *testing.T) {
	real := startPython(t, "testdata/orphan.py")
	ready := real.line(t)
	grandchild, err := strconv.Atoi(strings.TrimPrefix(ready, "ready "))
	if err != nil {
		t.Fatalf("orphan.py said %q, want \"ready\" and a pid", ready)
	}
	tree := NewTree("", real.pid(), real.pid())
	tree.rescan = never
	whole, err := tree.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	real.say(t, "orphan")
	real.expect(t, "orphaned")
	// The grandchild's parent is now init, which no walk from the leader
	// reaches; the tree knew it, and its group says it still belongs.
	orphaned, err := tree.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Processes != 3 || orphaned.Processes != 2 {
		t.Errorf("the tree had %d then %d processes, want 3 (leader, child, grandchild) then 2 (leader and the orphaned grandchild)",
			whole.Processes, orphaned.Processes)
	}
	if len(tree.entries) != 1 || tree.entries[0] != grandchild {
		t.Errorf("the tree's entry points are %v, want the orphaned grandchild %d", tree.entries, grandchild)
	}
	// And it stays in on the next walk, now as an entry point.
	again, err := tree.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Processes != 2 {
		t.Errorf("the next walk found %d processes, want 2", again.Processes)
	}
}
