package proc

import (
	"encoding/binary"
	"syscall"
)

// dirBuf returns the buffer directories are read into, allocated once.
func (r *Reader) dirBuf() []byte {
	if r.dirents == nil {
		r.dirents = make([]byte, 16<<10)
	}
	return r.dirents
}

// idsBuf returns the slice listPIDs fills, emptied.
func (r *Reader) idsBuf() []int { return r.ids[:0] }

// readDirNumbers appends to ids the names of the entries of dir that are
// decimal numbers, such as the processes of /proc or the threads of
// /proc/<pid>/task, reading the directory with getdents64 into buf.
func readDirNumbers(dir string, buf []byte, ids []int) ([]int, error) {
	fd, err := openRetry(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
	if err != nil {
		return ids, err
	}
	defer syscall.Close(fd)
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return ids, err
		}
		if n == 0 {
			return ids, nil
		}
		ids = appendNumbers(ids, buf[:n])
	}
}

// direntHeader is the fixed part of Linux's struct linux_dirent64: d_ino
// (8 bytes), d_off (8), d_reclen (2), d_type (1), then the name, NUL
// terminated. Its layout is the same on every architecture.
const (
	direntReclen = 16
	direntName   = 19
)

// appendNumbers parses the dirent64 records in b and appends every name
// that is a decimal number.
func appendNumbers(ids []int, b []byte) []int {
	for len(b) >= direntName {
		reclen := int(binary.NativeEndian.Uint16(b[direntReclen:]))
		if reclen < direntName || reclen > len(b) {
			return ids
		}
		name := b[direntName:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if n, ok := parseInt(name); ok && n > 0 && name[0] != '-' {
			ids = append(ids, n)
		}
		b = b[reclen:]
	}
	return ids
}
