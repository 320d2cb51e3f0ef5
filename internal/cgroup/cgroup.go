// Package cgroup runs a worker in a cgroup v2 of its own and reads what the
// kernel counts for it there: the processes that belong to it, wherever
// they moved in the process tree, and its memory, in one read of its own
// counters instead of a walk of /proc.
//
// A Group is made under the cgroup of the calling process, the one place a
// process may make one without being handed a delegated subtree; the
// worker is put in it at clone time (syscall.SysProcAttr.UseCgroupFD, which
// uses clone3), so that none of its children is born outside it. Whether
// the Group has memory counters depends on the machine: the memory
// controller must be enabled in the parent's cgroup.subtree_control, which
// the kernel allows only when the controller is not bound to a cgroup v1
// hierarchy and the parent holds no process of its own ("no internal
// processes"). Memory says why not, in the kernel's words, when it cannot.
//
//	g, err := cgroup.New()
//	attr := &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: g.FD()}
//	...
//	m, err := g.Memory() // memory.current and memory.stat, or why not
//	g.Kill()             // every process in it, wherever it went
//	g.Remove()
package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Group is a cgroup v2 that New made for one worker.
type Group struct {
	path string
	fd   int
	// memoryErr says why the group has no memory counters; nil when it has.
	memoryErr error
}

// prefix starts the name of every cgroup New makes; the pid of the process
// that made it follows, so that New can remove the ones a killed test run
// left behind.
const prefix = "leakspec-"

var made atomic.Int64

// New makes an empty cgroup under the calling process's own cgroup v2 and
// opens it for clone3. It fails when the machine has no cgroup v2 mounted
// or this process may not write to it; the error then says which, and the
// caller falls back to process groups.
func New() (*Group, error) {
	parent, err := ownCgroup("/proc/self/mountinfo", "/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("make cgroup: %w", err)
	}
	removeStale(parent)
	memoryErr := enableMemory(parent)
	path := filepath.Join(parent, fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), made.Add(1)))
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, fmt.Errorf("make cgroup: %w", err)
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("make cgroup: open %s: %w", path, err)
	}
	g := &Group{path: path, fd: fd, memoryErr: memoryErr}
	if memoryErr == nil {
		if _, err := os.Stat(filepath.Join(path, "memory.current")); err != nil {
			g.memoryErr = fmt.Errorf("%s has no memory counters: %w", path, err)
		}
	}
	return g, nil
}

// Path returns the cgroup's directory.
func (g *Group) Path() string { return g.path }

// FD returns the open directory of the cgroup, for
// syscall.SysProcAttr.CgroupFD.
func (g *Group) FD() int { return g.fd }

// MemoryErr says why Memory cannot read this group's memory, or nil when it
// can.
func (g *Group) MemoryErr() error { return g.memoryErr }

// Procs returns the pids of the processes in the group, zombies excluded:
// the kernel takes a process out of its cgroup when it exits.
func (g *Group) Procs(dst []int) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(g.path, "cgroup.procs"))
	if err != nil {
		return dst, fmt.Errorf("read cgroup processes: %w", err)
	}
	for line := range bytes.Lines(b) {
		pid, err := strconv.Atoi(string(bytes.TrimSpace(line)))
		if err == nil {
			dst = append(dst, pid)
		}
	}
	return dst, nil
}

// Kill sends SIGKILL to every process in the group, at once where the
// kernel has cgroup.kill (Linux 5.14), which also reaches a process forked
// meanwhile; one by one from cgroup.procs otherwise.
func (g *Group) Kill() error {
	err := os.WriteFile(filepath.Join(g.path, "cgroup.kill"), []byte("1"), 0)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	pids, err := g.Procs(nil)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return err
}

// AwaitEmpty waits until no process is left in the group, or timeout.
func (g *Group) AwaitEmpty(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pids, err := g.Procs(nil)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v are still in cgroup %s %v after SIGKILL", pids, g.path, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Remove closes the group and removes its directory, which the kernel
// allows once no process is left in it.
func (g *Group) Remove() error {
	if g.fd >= 0 {
		syscall.Close(g.fd)
		g.fd = -1
	}
	var err error
	for range 50 {
		if err = os.Remove(g.path); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(2 * time.Millisecond) // a process that is still exiting
	}
	return fmt.Errorf("remove cgroup: %w", err)
}

// ownCgroup returns the directory of the calling process's cgroup v2: the
// cgroup2 mount point from mountinfo joined with the "0::" path of cgroup.
func ownCgroup(mountinfo, cgroupFile string) (string, error) {
	mount, err := cgroup2Mount(mountinfo)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(cgroupFile)
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
			return filepath.Join(mount, rest), nil
		}
	}
	return "", fmt.Errorf("%s names no cgroup v2 (no line starting 0::)", cgroupFile)
}

// cgroup2Mount returns where a cgroup2 file system is mounted.
func cgroup2Mount(mountinfo string) (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for s.Scan() {
		// "36 35 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw"
		before, after, ok := strings.Cut(s.Text(), " - ")
		fields := strings.Fields(before)
		if ok && len(fields) >= 5 && strings.HasPrefix(after, "cgroup2 ") {
			return fields[4], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no cgroup2 file system is mounted")
}

// enableMemory makes sure the children of parent get the memory
// controller, and says, in the kernel's words, why they cannot.
func enableMemory(parent string) error {
	control := filepath.Join(parent, "cgroup.subtree_control")
	enabled, err := os.ReadFile(control)
	if err != nil {
		return err
	}
	if hasWord(string(enabled), "memory") {
		return nil
	}
	available, err := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
	if err != nil {
		return err
	}
	if !hasWord(string(available), "memory") {
		return enableMemoryReason(parent)
	}
	// Only the root cgroup has no cgroup.type. Enabling a controller there
	// changes the whole machine, which a test must not do.
	if _, err := os.Stat(filepath.Join(parent, "cgroup.type")); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the memory controller is not enabled in the root cgroup's %s, and leakspec leaves the machine's root cgroup as it is", control)
	}
	// In a cgroup that holds processes, as most do, the kernel refuses
	// with EBUSY: controllers go to the children of a cgroup only when it
	// has no processes of its own.
	if err := os.WriteFile(control, []byte("+memory"), 0); err != nil {
		return fmt.Errorf("enable the memory controller for the children of %s: %w", parent, err)
	}
	return nil
}

// v1Hierarchy returns the cgroup v1 hierarchy that controller is bound to,
// from /proc/cgroups, or 0 when it is free for cgroup v2.
func v1Hierarchy(procCgroups, controller string) int {
	b, err := os.ReadFile(procCgroups)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == controller {
			h, _ := strconv.Atoi(f[1])
			return h
		}
	}
	return 0
}

func hasWord(s, word string) bool {
	for _, w := range strings.Fields(s) {
		if w == word {
			return true
		}
	}
	return false
}

// removeStale ends and removes the cgroups that a process of this package,
// since gone, left under parent: a test binary killed with SIGKILL (a CI
// timeout) runs no Stop, and Pdeathsig reaches its workers' leaders only.
// Their children are killed here, at the next run, whatever their group.
func removeStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			_ = Reap(filepath.Join(parent, e.Name()))
		}
	}
}

// Reap kills every process in the cgroup at path, one that New made, waits
// up to a second for them to go and removes it; nothing is left to do when
// the cgroup is gone already. It is for a cgroup whose maker died without
// removing it: removeStale finds those at the next run, internal/reaper
// ends them as their maker dies.
func Reap(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	g := &Group{path: path, fd: -1}
	if err := g.Kill(); err != nil {
		return err
	}
	if err := g.AwaitEmpty(time.Second); err != nil {
		return err
	}
	return g.Remove()
}

// Of returns the Group that New made and that process pid runs in, or nil
// when pid runs in no such cgroup (or cannot be read). The Group has no
// open directory: it is for Procs and Memory, not for clone3.
func Of(pid int) *Group {
	mount, err := cgroup2Mount("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return nil
	}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "0::")
		if !ok || !strings.HasPrefix(filepath.Base(rest), prefix) {
			continue
		}
		g := &Group{path: filepath.Join(mount, rest), fd: -1}
		if _, err := os.Stat(filepath.Join(g.path, "memory.current")); err != nil {
			g.memoryErr = enableMemoryReason(filepath.Dir(g.path))
		}
		return g
	}
	return nil
}

// enableMemoryReason says why the children of parent have no memory
// counters, without trying to enable them.
func enableMemoryReason(parent string) error {
	available, err := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
	if err != nil {
		return err
	}
	if !hasWord(string(available), "memory") {
		reason := fmt.Sprintf("the cgroup v2 %s offers no memory controller (its cgroup.controllers lists %q)",
			parent, strings.TrimSpace(string(available)))
		if h := v1Hierarchy("/proc/cgroups", "memory"); h > 0 {
			reason += fmt.Sprintf("; the kernel has bound it to cgroup v1 hierarchy %d (a hybrid setup), and a controller serves one hierarchy only", h)
		}
		return errors.New(reason)
	}
	return fmt.Errorf("the memory controller is not enabled in %s/cgroup.subtree_control", parent)
}
