package proc

import (
	"bytes"
	"fmt"
)

// Stat is what a process tree is found by, as /proc/<pid>/stat states it.
type Stat struct {
	PID  int
	PPID int // the parent's process id (the thread group, not the thread)
	PGRP int // the process group
	// State is the state letter: R running, S sleeping, Z a zombie (exited,
	// not yet reaped), X dead, and so on.
	State byte
}

// Stat reads /proc/<pid>/stat. When the process has exited, the error
// satisfies Vanished.
func (r *Reader) Stat(pid int) (Stat, error) {
	path := r.pidPath(pid, 0, "stat")
	b, err := r.readFile(path)
	if err != nil {
		return Stat{}, err
	}
	s, err := parseStat(b)
	if err != nil {
		return Stat{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return s, nil
}

// parseStat reads the pid, the parent and the group out of a stat line:
// "pid (comm) state ppid pgrp session ...". The command name may hold
// spaces and parentheses of its own, so the fields are counted from the
// last ')', which ends it.
func parseStat(b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return Stat{}, fmt.Errorf("no command name in parentheses in %q", clip(b))
	}
	pid, ok := parseInt(bytes.TrimSpace(b[:open]))
	if !ok {
		return Stat{}, fmt.Errorf("the pid in %q is not a number", clip(b))
	}
	s := Stat{PID: pid}
	// After ')': state, ppid, pgrp.
	i, bad := 0, false
	fields(b[end+1:], func(f []byte) bool {
		switch i {
		case 0:
			s.State, ok = f[0], len(f) == 1
		case 1:
			s.PPID, ok = parseInt(f)
		case 2:
			s.PGRP, ok = parseInt(f)
		}
		bad = bad || !ok
		i++
		return i <= 2 && !bad
	})
	if bad || i < 3 {
		return Stat{}, fmt.Errorf("no parent and group after the command name in %q", clip(b))
	}
	return s, nil
}

// clip shortens what a /proc file said, for an error message.
func clip(b []byte) string {
	const most = 80
	if len(b) > most {
		return string(b[:most]) + "..."
	}
	return string(b)
}
