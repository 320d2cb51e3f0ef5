package worker

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/internal/proc"
	"github.com/leakspec/leakspec/internal/pytree"
)

func TestTreePIDs(t *testing.T) {
	// A listing in the shape of a real machine: init (1) and kthreadd (2) with
	// parent 0 and kernel threads in group 0, a shell (100) that starts the
	// worker (200) in a group of its own.
	machine := []procLink{
		{pid: 1, ppid: 0, pgrp: 1},
		{pid: 2, ppid: 0, pgrp: 0},
		{pid: 3, ppid: 2, pgrp: 0},
		{pid: 100, ppid: 1, pgrp: 100},
		{pid: 200, ppid: 100, pgrp: 200},
	}
	with := func(more ...procLink) []procLink {
		return append(slices.Clone(machine), more...)
	}

	tests := []struct {
		name       string
		links      []procLink
		root, pgid int
		want       []int
	}{
		{
			name:  "a root without children",
			links: machine,
			root:  200, pgid: 200,
			want: []int{200},
		},
		{
			name: "children and grandchildren by parent links",
			links: with(
				procLink{pid: 201, ppid: 200, pgrp: 200},
				procLink{pid: 202, ppid: 200, pgrp: 200},
				procLink{pid: 203, ppid: 201, pgrp: 200},
			),
			root: 200, pgid: 200,
			want: []int{200, 201, 202, 203},
		},
		{
			name:  "a descendant that moved to a group of its own",
			links: with(procLink{pid: 201, ppid: 200, pgrp: 200}, procLink{pid: 202, ppid: 201, pgrp: 202}),
			root:  200, pgid: 200,
			want: []int{200, 201, 202},
		},
		{
			name:  "an orphan reparented to init stays in by its group",
			links: with(procLink{pid: 210, ppid: 1, pgrp: 200}),
			root:  200, pgid: 200,
			want: []int{200, 210},
		},
		{
			name:  "the children of a reparented orphan",
			links: with(procLink{pid: 210, ppid: 1, pgrp: 200}, procLink{pid: 211, ppid: 210, pgrp: 211}),
			root:  200, pgid: 200,
			want: []int{200, 210, 211},
		},
		{
			name: "unrelated processes, the root's parent and its siblings are left out",
			links: with(
				procLink{pid: 101, ppid: 100, pgrp: 101},
				procLink{pid: 300, ppid: 1, pgrp: 300},
				procLink{pid: 301, ppid: 300, pgrp: 300},
			),
			root: 200, pgid: 200,
			want: []int{200},
		},
		{
			name:  "the group of a root that has exited",
			links: append(slices.Clone(machine[:4]), procLink{pid: 201, ppid: 1, pgrp: 200}),
			root:  200, pgid: 200,
			want: []int{201},
		},
		{
			name:  "children still naming a root that has exited",
			links: append(slices.Clone(machine[:4]), procLink{pid: 201, ppid: 200, pgrp: 201}),
			root:  200, pgid: 200,
			want: []int{201},
		},
		{
			// pid 200 exited and was reused by a child of 201 while /proc
			// was listed, so the parent links read 200 -> 201 -> 200.
			name: "a cycle left by pid reuse ends",
			links: []procLink{
				{pid: 1, ppid: 0, pgrp: 1},
				{pid: 200, ppid: 201, pgrp: 200},
				{pid: 201, ppid: 200, pgrp: 200},
				{pid: 202, ppid: 201, pgrp: 200},
			},
			root: 200, pgid: 200,
			want: []int{200, 201, 202},
		},
		{
			name:  "a process listed as its own parent",
			links: with(procLink{pid: 201, ppid: 201, pgrp: 200}, procLink{pid: 202, ppid: 200, pgrp: 200}),
			root:  200, pgid: 200,
			want: []int{200, 201, 202},
		},
		{
			name:  "group 0 does not sweep in the kernel threads",
			links: machine,
			root:  200, pgid: 0,
			want: []int{200},
		},
		{
			name:  "root 0 does not adopt init and kthreadd",
			links: machine,
			root:  0, pgid: 200,
			want: []int{200},
		},
		{
			name:  "a root and group that are not listed",
			links: machine,
			root:  400, pgid: 400,
			want: nil,
		},
		{
			name:  "an empty listing",
			links: nil,
			root:  200, pgid: 200,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := treePIDs(tt.links, tt.root, tt.pgid)
			if !slices.Equal(got, tt.want) {
				t.Errorf("treePIDs(root %d, group %d) = %v, want %v", tt.root, tt.pgid, got, tt.want)
			}
		})
	}
}

func TestScanTreeReadsTheFixture(t *testing.T) {
	// testdata/README.md describes who is who.
	tree, entries, err := scanTree(proc.NewReader(fixtureProc), 200, 200)
	if err != nil {
		t.Fatalf("scanTree: %v", err)
	}
	if want := []int{200, 201, 202, 210, 211, 220}; !slices.Equal(tree, want) {
		t.Errorf("scanTree(testdata/proc, 200, 200) found the tree %v, want %v", tree, want)
	}
	// 210 is in by its group alone: no children link leads to it.
	if want := []int{210}; !slices.Equal(entries, want) {
		t.Errorf("scanTree(testdata/proc, 200, 200) found the entry points %v, want %v", entries, want)
	}
}

// realTree is a real process tree started from a script (internal/pytree's
// tree.py, testdata/orphan.py) in a process group of its own, which the test that
// started it ends.
type realTree struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *os.File
	lines  *bufio.Reader
	exited chan struct{} // closed once the leader has been reaped
}

// startRealTree starts a tree that will fork children and hold ballast bytes
// (rounded down to MiB) once grown, and returns when its leader waits to be
// told to grow. The tree is ended when the test ends.
func startRealTree(tb testing.TB, children int, ballast uint64) *realTree {
	tb.Helper()
	script, err := pytree.Write(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tree := startPython(tb, script, strconv.Itoa(children), strconv.FormatUint(ballast/bytesize.MiB, 10))
	tree.expect(tb, "waiting")
	return tree
}

// startPython runs a script with Debian's Python, in a process
// group of its own, and returns at once. The script is ended when the test
// ends.
func startPython(tb testing.TB, script string, args ...string) *realTree {
	tb.Helper()
	const python = "/usr/bin/python3"
	cmd := exec.Command(python, append([]string{script}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	// An os.Pipe rather than StdoutPipe: Wait runs on its own goroutine and
	// must not close the pipe under a read.
	stdout, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		tb.Fatalf("start %s: %v", script, err)
	}
	tree := &realTree{cmd: cmd, stdin: stdin, stdout: stdout, lines: bufio.NewReader(stdout), exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // a tree killed by a test exits with SIGKILL; that is not an error
		close(tree.exited)
	}()
	tb.Cleanup(tree.end)
	return tree
}

// pid returns the pid of the tree's leader, which is also its process group.
func (t *realTree) pid() int { return t.cmd.Process.Pid }

// release tells the tree to grow, without waiting for it.
func (t *realTree) release(tb testing.TB) {
	tb.Helper()
	t.say(tb, "grow")
}

// grow tells the tree to grow and returns once its memory is written and its
// children exist.
func (t *realTree) grow(tb testing.TB) {
	tb.Helper()
	t.release(tb)
	t.expect(tb, "ready")
}

func (t *realTree) expect(tb testing.TB, want string) {
	tb.Helper()
	if line := t.line(tb); line != want {
		tb.Fatalf("the test tree said %q, want %q", line, want)
	}
}

// line returns the next line the tree prints, without its newline.
func (t *realTree) line(tb testing.TB) string {
	tb.Helper()
	line, err := t.lines.ReadString('\n')
	if err != nil {
		tb.Fatalf("read what the test tree says: %v (so far %q)", err, line)
	}
	return strings.TrimSpace(line)
}

// say writes a line to the tree's stdin.
func (t *realTree) say(tb testing.TB, line string) {
	tb.Helper()
	if _, err := io.WriteString(t.stdin, line+"\n"); err != nil {
		tb.Fatalf("tell the test tree %q: %v", line, err)
	}
}

// end closes the tree's stdin, on which it stops its children, reaps them and
// exits; a tree that has not exited 10s later has its group killed. end
// returns once the leader has been reaped.
func (t *realTree) end() {
	t.stdin.Close()
	select {
	case <-t.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-t.pid(), syscall.SIGKILL)
		<-t.exited
	}
	t.stdout.Close()
}
