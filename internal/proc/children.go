package proc

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrNoChildren is wrapped by Children when the kernel does not provide
// /proc/<pid>/task/<tid>/children (it needs CONFIG_PROC_CHILDREN, which
// every distribution's kernel has); a caller then finds children by reading
// every process's parent instead.
var ErrNoChildren = errors.New("this kernel's /proc has no children files")

// Children appends to dst the pids of the children of process pid and
// returns it. The kernel lists a child under the thread that forked it, so
// every thread's /proc/<pid>/task/<tid>/children is read: a worker thread
// that starts a subprocess is its parent as much as the main thread is. A
// thread that exits meanwhile is skipped. When the process has exited, the
// error satisfies Vanished.
func (r *Reader) Children(pid int, dst []int) ([]int, error) {
	tids, err := r.tasks(pid)
	if err != nil {
		return dst, err
	}
	read := 0
	for _, tid := range tids {
		b, err := r.readFile(r.pidPath(pid, tid, "children"))
		if Vanished(err) {
			continue
		}
		if err != nil {
			return dst, err
		}
		read++
		var bad []byte
		fields(b, func(f []byte) bool {
			child, ok := parseInt(f)
			if !ok {
				bad = f
				return false
			}
			dst = append(dst, child)
			return true
		})
		if bad != nil {
			return dst, fmt.Errorf("parse %s: %q is not a pid", r.pidPath(pid, tid, "children"), clip(bad))
		}
	}
	if read == 0 && len(tids) > 0 {
		// Every thread had vanished, or none has a children file: the
		// process is gone unless its own directory is still there.
		if _, err := r.readFile(r.pidPath(pid, 0, "stat")); err != nil {
			return dst, err
		}
		return dst, fmt.Errorf("read children of process %d: %w", pid, ErrNoChildren)
	}
	return dst, nil
}

// tasks returns the thread ids of process pid, from /proc/<pid>/task, in
// a slice that is reused by the next call.
func (r *Reader) tasks(pid int) ([]int, error) {
	return r.listPIDs(r.pidPath(pid, 0, "task"))
}

// PIDs appends to dst the pid of every process in /proc and returns it.
func (r *Reader) PIDs(dst []int) ([]int, error) {
	pids, err := r.listPIDs(r.root)
	return append(dst, pids...), err
}

// listPIDs lists the numeric names of directory dir, into r.ids.
func (r *Reader) listPIDs(dir string) ([]int, error) {
	ids, err := readDirNumbers(dir, r.dirBuf(), r.idsBuf())
	r.ids = ids
	if err != nil {
		return nil, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
	}
	return ids, nil
}
