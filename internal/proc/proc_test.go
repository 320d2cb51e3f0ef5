package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       Stat
		bad        bool
	}{
		{
			name: "a worker",
			line: "200 (rq) S 100 200 100 0 -1 4194560 1400 0 3 0 6 5 0 0 20 0 1 0 30200 169078784 12053\n",
			want: Stat{PID: 200, PPID: 100, PGRP: 200, State: 'S'},
		},
		{
			// A program may name itself anything: the name ends at the
			// last ')'.
			name: "a command name with spaces and parentheses",
			line: "4321 (a) (b c)) R 1 4300 4300 0 -1 0\n",
			want: Stat{PID: 4321, PPID: 1, PGRP: 4300, State: 'R'},
		},
		{name: "a zombie", line: "211 (rq) Z 200 200 100 0 -1 4227148 0 0 0 0", want: Stat{PID: 211, PPID: 200, PGRP: 200, State: 'Z'}},
		{name: "no command name", line: "200 rq S 100 200", bad: true},
		{name: "cut short after the state", line: "200 (rq) S 100", bad: true},
		{name: "a parent that is not a number", line: "200 (rq) S x 200 100", bad: true},
		{name: "empty", line: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.line))
			if tt.bad {
				if err == nil {
					t.Errorf("parseStat(%q) = %+v, want an error", tt.line, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseStat(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
		})
	}
}

// writeProc writes files under a fixture /proc: path -> contents.
func writeProc(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, contents := range files {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(contents), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// rollup200 is the smaps_rollup of pid 200 in worker/testdata/proc.
const rollup200 = `55a96a11c000-7ffc2ef71000 ---p 00000000 00:00 0                          [rollup]
Rss:               48212 kB
Pss:               33790 kB
Pss_Dirty:         31508 kB
Pss_Anon:          31508 kB
Pss_File:           2282 kB
Pss_Shmem:             0 kB
Shared_Clean:      16860 kB
Shared_Dirty:          0 kB
Private_Clean:      1204 kB
Private_Dirty:     30148 kB
Referenced:        48212 kB
Anonymous:         31508 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:    2048 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
`

func TestReaderParsesTheFixtureFiles(t *testing.T) {
	root := writeProc(t, map[string]string{
		"200/statm":        "41279 12053 4176 720 0 8901 0\n",
		"200/smaps_rollup": rollup200,
		"201/statm":        "41279\n",
		"201/smaps_rollup": "Rss: 10 kB\nPss: 5 kB\nPrivate_Clean: 1 kB\n",
		"202/smaps_rollup": "Pss: 5 MB\nPrivate_Clean: 1 kB\nPrivate_Dirty: 1 kB\nPrivate_Hugetlb: 0 kB\n",
	})
	r := NewReader(root).WithPageSize(4096)

	if rss, err := r.Resident(200); err != nil || rss != 12053*4096 {
		t.Errorf("Resident(200) = %d, %v; want %d", rss, err, 12053*4096)
	}
	want := Rollup{PSS: 33790 * 1024, USS: (1204 + 30148 + 2048) * 1024}
	if got, err := r.SmapsRollup(200); err != nil || got != want {
		t.Errorf("SmapsRollup(200) = %+v, %v; want %+v", got, err, want)
	}
	if rss, err := r.Resident(201); err == nil {
		t.Errorf("Resident(201) of a statm with one field = %d, want an error", rss)
	}
	for _, pid := range []int{201, 202} {
		if got, err := r.SmapsRollup(pid); err == nil {
			t.Errorf("SmapsRollup(%d) of a file with fields missing or in MB = %+v, want an error", pid, got)
		}
	}
	if _, err := r.Resident(999); !Vanished(err) {
		t.Errorf("Resident(999) of a process that is not there: %v, want an error that Vanished recognises", err)
	}
}

func TestGroupMembersLeavesZombiesAndOtherGroupsOut(t *testing.T) {
	root := writeProc(t, map[string]string{
		"400/stat": "400 (leader) S 1 400 400 0",
		"401/stat": "401 (child (1)) R 400 400 400 0",
		"402/stat": "402 (zombie) Z 400 400 400 0",
		"403/stat": "403 (dead) X 400 400 400 0",
		"404/stat": "404 (escaped) S 400 404 404 0",
		"405/stat": "405 (other) S 1 500 500 0",
	})
	got, err := NewReader(root).GroupMembers(400, nil)
	if err != nil || fmt.Sprint(got) != "[400 401]" {
		t.Errorf("GroupMembers(400) = %v, %v; want [400 401]", got, err)
	}
}

func TestChildrenWithoutChildrenFiles(t *testing.T) {
	root := writeProc(t, map[string]string{
		"300/stat":          "300 (w) S 1 300 300 0",
		"300/task/300/stat": "300 (w) S 1 300 300 0",
	})
	_, err := NewReader(root).Children(300, nil)
	if !errors.Is(err, ErrNoChildren) {
		t.Errorf("Children(300) with no children file = %v, want ErrNoChildren", err)
	}
}

func TestReaderReadsThisProcess(t *testing.T) {
	r := NewReader("")
	self := os.Getpid()

	stat, err := r.Stat(self)
	if err != nil {
		t.Fatal(err)
	}
	// /proc/<pid>/stat shows the thread group leader's state, and the
	// test's goroutine need not run on that thread: the leader may be
	// asleep (S) or running (R), but a live process is never Z or X.
	if stat.State != 'R' && stat.State != 'S' {
		t.Errorf("Stat(self).State = %q, want R or S", stat.State)
	}
	stat.State = 0
	if want := (Stat{PID: self, PPID: os.Getppid(), PGRP: syscall.Getpgrp()}); stat != want {
		t.Errorf("Stat(self) = %+v, want %+v", stat, want)
	}
	rss, err := r.Resident(self)
	if err != nil || rss < 1<<20 {
		t.Errorf("Resident(self) = %d, %v; want at least a MiB", rss, err)
	}
	rollup, err := r.SmapsRollup(self)
	// The private pages are part of the proportional share.
	if err != nil || rollup.USS == 0 || rollup.USS > rollup.PSS {
		t.Errorf("SmapsRollup(self) = %+v, %v; want 0 < USS <= PSS", rollup, err)
	}
	pids, err := r.PIDs(nil)
	if err != nil || !slices.Contains(pids, self) || !slices.Contains(pids, 1) {
		t.Errorf("PIDs() = %v, %v; want this process and init among them", pids, err)
	}

	// Go forks from whichever thread runs the goroutine, so this also
	// shows that every thread's children file is read.
	child := exec.Command("/bin/sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	children, err := r.Children(self, nil)
	if err != nil || !slices.Contains(children, child.Process.Pid) {
		t.Errorf("Children(self) = %v, %v; want the child %d among them", children, err, child.Process.Pid)
	}
}

func TestReaderOnAZombieAndAProcessThatHasGone(t *testing.T) {
	r := NewReader("")
	child := exec.Command("/bin/true")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	pid := child.Process.Pid
	waitExitedNotReaped(t, pid)

	// A zombie has no memory, and no memory map to read.
	if rss, err := r.Resident(pid); err != nil || rss != 0 {
		t.Errorf("Resident(zombie) = %d, %v; want 0", rss, err)
	}
	if got, err := r.SmapsRollup(pid); !Vanished(err) {
		t.Errorf("SmapsRollup(zombie) = %+v, %v; want an error that Vanished recognises", got, err)
	}
	if _, err := r.Children(pid, nil); err != nil {
		t.Errorf("Children(zombie): %v, want none and no error", err)
	}

	if err := child.Wait(); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() error{
		"Stat":        func() error { _, err := r.Stat(pid); return err },
		"Resident":    func() error { _, err := r.Resident(pid); return err },
		"SmapsRollup": func() error { _, err := r.SmapsRollup(pid); return err },
		"Children":    func() error { _, err := r.Children(pid, nil); return err },
	} {
		if err := read(); !Vanished(err) {
			t.Errorf("%s of a reaped process: %v, want an error that Vanished recognises", name, err)
		}
	}
}

// waitExitedNotReaped blocks until process pid has exited and is a zombie,
// without reaping it (waitid with WNOWAIT).
func waitExitedNotReaped(t *testing.T, pid int) {
	t.Helper()
	const pPID, wExited, wNoWait = 1, 4, 0x01000000
	var info [128]byte // siginfo_t
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])), wExited|wNoWait, 0, 0)
		if errno == 0 {
			return
		}
		if errno != syscall.EINTR || time.Now().After(deadline) {
			t.Fatalf("wait for process %d: %v", pid, errno)
		}
	}
}
