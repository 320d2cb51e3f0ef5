package worker

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/leakspec/leakspec/internal/proc"
)

// termIgnored reports whether every process that Stop's SIGTERM reaches
// (the leader alone with Command.TermLeaderOnly, its whole group
// otherwise) ignores SIGTERM. Such a signal changes nothing: no handler
// runs, so no line is flushed, and no process ends, so waiting out the
// grace only costs time. A process that catches SIGTERM, or blocks it (it
// may read it from a signalfd), may act on it and is given the grace; one
// that leaves it at its default dies of it at once and writes nothing.
//
// It is read before the signal is sent; a process that changes its mind
// in between is not seen, and a listing that fails counts as "no".
func (p *Process) termIgnored() bool {
	pids := []int{p.pid}
	if !p.termLeaderOnly {
		var err error
		if pids, err = p.groupPids(); err != nil || len(pids) == 0 {
			return false
		}
	}
	for _, pid := range pids {
		if !ignoresTerm(pid) {
			return false
		}
	}
	return true
}

// groupPids lists the live members of the worker's process group: from its
// cgroup, one small read and a stat of each, when it has one; from a scan
// of /proc otherwise. A descendant that left the group gets no SIGTERM and
// is not listed.
func (p *Process) groupPids() ([]int, error) {
	if p.cgroup == nil {
		return groupMembers(p.pid)
	}
	procs, err := p.cgroup.Procs(nil)
	if err != nil {
		return nil, err
	}
	r := proc.NewReader("")
	members := procs[:0]
	for _, pid := range procs {
		if stat, err := r.Stat(pid); err == nil && stat.PGRP == p.pid {
			members = append(members, pid)
		}
	}
	return members, nil
}

// ignoresTerm reports whether process pid has SIGTERM in its ignored mask
// (SigIgn in /proc/<pid>/status), neither caught nor blocked. A process
// that cannot be read has exited, or is about to: it will write nothing
// more either.
func ignoresTerm(pid int) bool {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return true
	}
	ignored, okIgn := signalMask(status, "SigIgn:")
	blocked, okBlk := signalMask(status, "SigBlk:")
	caught, okCgt := signalMask(status, "SigCgt:")
	if !okIgn || !okBlk || !okCgt {
		return false
	}
	bit := uint64(1) << (syscall.SIGTERM - 1)
	return ignored&bit != 0 && (blocked|caught)&bit == 0
}

// signalMask parses the hexadecimal mask of the status line that starts
// with field.
func signalMask(status []byte, field string) (uint64, bool) {
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte(field)); ok {
			mask, err := strconv.ParseUint(string(bytes.TrimSpace(rest)), 16, 64)
			return mask, err == nil
		}
	}
	return 0, false
}
