package proc

import (
	"bytes"
	"fmt"
)

// Rollup is what leakspec takes from /proc/<pid>/smaps_rollup, in bytes.
type Rollup struct {
	PSS uint64 // proportional set size: each shared page split among its mappers
	// USS, the unique set size, is the private pages: what the process
	// would free if it exited (Private_Clean + Private_Dirty +
	// Private_Hugetlb, as psutil counts it).
	USS uint64
}

// SmapsRollup reads /proc/<pid>/smaps_rollup. The kernel walks the page
// tables of the target to write it, holding its memory map lock meanwhile,
// which is why a sampler reads it at a slower rate than Resident. A zombie
// answers ESRCH, and a process that has exited ENOENT: both satisfy
// Vanished.
func (r *Reader) SmapsRollup(pid int) (Rollup, error) {
	path := r.pidPath(pid, 0, "smaps_rollup")
	b, err := r.readFile(path)
	if err != nil {
		return Rollup{}, err
	}
	var out Rollup
	found := 0
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		var into *uint64
		switch {
		case bytes.HasPrefix(line, []byte("Pss:")):
			into = &out.PSS
		case bytes.HasPrefix(line, []byte("Private_Clean:")),
			bytes.HasPrefix(line, []byte("Private_Dirty:")),
			bytes.HasPrefix(line, []byte("Private_Hugetlb:")):
			into = &out.USS
		default:
			continue
		}
		kB, err := kilobytes(line)
		if err != nil {
			return Rollup{}, fmt.Errorf("parse %s: %w", path, err)
		}
		*into += kB * 1024
		found++
	}
	// Private_Hugetlb came in Linux 4.4 and smaps_rollup in 4.14, so all
	// four are there on any kernel that has the file.
	if found < 4 {
		return Rollup{}, fmt.Errorf("parse %s: Pss, Private_Clean, Private_Dirty or Private_Hugetlb is missing", path)
	}
	return out, nil
}

// kilobytes reads "Name:   123 kB".
func kilobytes(line []byte) (uint64, error) {
	var n uint64
	i, ok := 0, false
	fields(line, func(f []byte) bool {
		switch i {
		case 1:
			n, ok = parseUint(f)
		case 2:
			ok = ok && string(f) == "kB"
		}
		i++
		return i < 3
	})
	if !ok || i != 3 {
		return 0, fmt.Errorf("%q is not a size in kB", clip(line))
	}
	return n, nil
}
