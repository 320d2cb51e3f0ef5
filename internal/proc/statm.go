package proc

import "fmt"

// Resident reads the resident set size of a process, in bytes, from
// /proc/<pid>/statm: its second field, in pages. It is the VmRSS of
// /proc/<pid>/status (anonymous, file and shared memory pages) at a
// fraction of the cost: one short line, no locks taken on the target. A
// zombie has no memory and reads as zero. When the process has exited, the
// error satisfies Vanished.
func (r *Reader) Resident(pid int) (uint64, error) {
	path := r.pidPath(pid, 0, "statm")
	b, err := r.readFile(path)
	if err != nil {
		return 0, err
	}
	pages, i, ok := uint64(0), 0, true
	fields(b, func(f []byte) bool {
		if i == 1 {
			pages, ok = parseUint(f)
		}
		i++
		return i < 2
	})
	if !ok || i < 2 {
		return 0, fmt.Errorf("parse %s: no resident page count in %q", path, clip(b))
	}
	return pages * r.pageSize, nil
}
