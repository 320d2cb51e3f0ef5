package cgroup

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newGroup makes a real cgroup, or skips with the machine's reason.
func newGroup(t *testing.T) *Group {
	t.Helper()
	g, err := New()
	if err != nil {
		t.Skipf("no cgroup v2 here: %v", err)
	}
	t.Cleanup(func() {
		_ = g.Kill()
		_ = g.AwaitEmpty(5 * time.Second)
		_ = g.Remove()
	})
	return g
}

func TestGroupHoldsEveryProcessTheWorkerStartsAndKillsThem(t *testing.T) {
	g := newGroup(t)
	// The orphan leaves the session, the group and its parent: nothing in
	// /proc ties it to the shell any more, but the cgroup still holds it.
	cmd := exec.Command("/bin/sh", "-c", `setsid sh -c 'echo $$; exec sleep 600' & sleep 600 & echo $!; wait`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, UseCgroupFD: true, CgroupFD: g.FD()}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start in cgroup %s: %v", g.Path(), err)
	}
	t.Cleanup(func() { _ = cmd.Wait() })
	var children []int
	r := bufio.NewScanner(out)
	for len(children) < 2 && r.Scan() {
		pid, err := strconv.Atoi(strings.TrimSpace(r.Text()))
		if err != nil {
			t.Fatal(err)
		}
		children = append(children, pid)
	}
	procs, err := g.Procs(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range append(children, cmd.Process.Pid) {
		if !slices.Contains(procs, pid) {
			t.Errorf("cgroup.procs = %v, want it to hold %d", procs, pid)
		}
	}

	if err := g.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := g.AwaitEmpty(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, pid := range children {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("process %d still runs after Kill: %s", pid, b)
		}
	}
	_ = cmd.Wait()
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.Path()); !os.IsNotExist(err) {
		t.Errorf("the cgroup %s is still there after Remove: %v", g.Path(), err)
	}
}

func TestMemoryReadsTheGroupOrSaysWhyNot(t *testing.T) {
	g := newGroup(t)
	m, err := g.Memory()
	if g.MemoryErr() != nil {
		if err == nil || !strings.Contains(err.Error(), g.MemoryErr().Error()) {
			t.Errorf("Memory() = %+v, %v; want the reason %q", m, err, g.MemoryErr())
		}
		t.Skipf("this machine's cgroup has no memory counters: %v", g.MemoryErr())
	}
	if err != nil {
		t.Fatal(err)
	}
	if m.Current < m.Anon {
		t.Errorf("Memory() = %+v: memory.current below its anon part", m)
	}
}

func TestParseMemoryStat(t *testing.T) {
	// The head of a real memory.stat of Linux 6.1, and of 5.10, which has
	// no kernel line.
	linux61 := "anon 4096000\nfile 8192000\nkernel 1048576\nkernel_stack 16384\npagetables 65536\nsec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\nshmem 0\n"
	linux510 := "anon 4096000\nfile 8192000\nkernel_stack 16384\npercpu 512\nsock 0\nshmem 0\nfile_mapped 0\nslab 100000\npagetables 65536\n"
	for _, tt := range []struct {
		name, text string
		want       Memory
	}{
		{"kernel line", linux61, Memory{Anon: 4096000, File: 8192000, Kernel: 1048576}},
		{"kernel summed", linux510, Memory{Anon: 4096000, File: 8192000, Kernel: 16384 + 512 + 100000 + 65536}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemoryStat([]byte(tt.text))
			if err != nil || got != tt.want {
				t.Errorf("parseMemoryStat = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := parseMemoryStat([]byte("kernel 1\n")); err == nil || err.Error() != "memory.stat has no anon or no file line" {
		t.Errorf("parseMemoryStat without anon = %v, want the missing lines named", err)
	}
	if _, err := parseMemoryStat([]byte("anon x\n")); err == nil || !strings.Contains(err.Error(), `memory.stat line "anon x\n"`) {
		t.Errorf("parseMemoryStat of a bad number = %v, want the line quoted", err)
	}
}

func TestNewEndsTheCgroupOfAProcessThatIsGone(t *testing.T) {
	g := newGroup(t)
	// A cgroup named for a pid that has exited, as a killed test binary
	// leaves it, with a process still in it.
	gone := exec.Command("/bin/true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	stalePath := strings.Replace(g.Path(), prefix+strconv.Itoa(os.Getpid()), prefix+strconv.Itoa(gone.Process.Pid), 1)
	if err := os.Mkdir(stalePath, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := &Group{path: stalePath, fd: -1}
	t.Cleanup(func() { _ = stale.Kill(); _ = stale.AwaitEmpty(time.Second); _ = stale.Remove() })
	fd, err := syscall.Open(stalePath, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	left := exec.Command("/bin/sleep", "600")
	left.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	err = left.Start()
	syscall.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- left.Wait() }()

	g2, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g2.Remove() })
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("the process left in %s still runs after New", stalePath)
	}
	if _, err := os.Stat(stalePath); !os.IsNotExist(err) {
		t.Errorf("the stale cgroup %s is still there: %v", stalePath, err)
	}
}
