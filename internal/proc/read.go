package proc

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// DefaultRoot is where Linux mounts procfs.
const DefaultRoot = "/proc"

// Reader reads /proc files under one root (the real /proc, or a fixture
// directory shaped like it) into a buffer it reuses.
type Reader struct {
	root     string
	pageSize uint64
	buf      []byte // file contents
	path     []byte // the path being opened
	dirents  []byte // directory records
	ids      []int  // the numeric names of the last directory listed
}

// NewReader returns a Reader of the /proc at root; "" is DefaultRoot.
// Page counts (statm) are converted with this machine's page size.
func NewReader(root string) *Reader {
	if root == "" {
		root = DefaultRoot
	}
	return &Reader{root: root, pageSize: uint64(os.Getpagesize()), buf: make([]byte, 4096)}
}

// WithPageSize sets the page size statm's counts are multiplied by, for a
// fixture /proc written on a machine whose page size differs, and returns r.
func (r *Reader) WithPageSize(bytes uint64) *Reader {
	r.pageSize = bytes
	return r
}

// Root returns the directory the Reader reads.
func (r *Reader) Root() string { return r.root }

// Vanished reports whether err says that a process (or one of its threads)
// exited while it was being read: its /proc directory is gone (ENOENT), or
// still open but no longer backed by a task (ESRCH), which is also what the
// kernel answers for the memory map of a zombie.
func Vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// pidPath returns <root>/<pid>/<name>, or <root>/<pid>/task/<tid>/<name>
// when tid is positive. The path is built in a buffer that is reused, so it
// is valid until the next call.
func (r *Reader) pidPath(pid, tid int, name string) string {
	p := append(r.path[:0], r.root...)
	p = append(p, '/')
	p = strconv.AppendInt(p, int64(pid), 10)
	if tid > 0 {
		p = append(p, "/task/"...)
		p = strconv.AppendInt(p, int64(tid), 10)
	}
	if name != "" {
		p = append(p, '/')
		p = append(p, name...)
	}
	r.path = p
	return string(p)
}

// readFile reads the whole file at path into r.buf, growing it as needed,
// and returns the bytes read; they are valid until the next read. Errors
// are *fs.PathError, so that errors.Is sees ENOENT as fs.ErrNotExist.
func (r *Reader) readFile(path string) ([]byte, error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	n := 0
	for {
		if n == len(r.buf) {
			r.buf = append(r.buf, make([]byte, len(r.buf))...)
		}
		m, err := syscall.Read(fd, r.buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return r.buf[:n], nil
		}
		n += m
	}
}

// openRetry opens path, again when a signal interrupts the call: Go's
// runtime preempts goroutines with signals.
func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// fields calls f with each space-separated field of b, in order, until f
// returns false.
func fields(b []byte, f func(field []byte) bool) {
	for len(b) > 0 {
		for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t') {
			b = b[1:]
		}
		end := 0
		for end < len(b) && b[end] != ' ' && b[end] != '\n' && b[end] != '\t' {
			end++
		}
		if end == 0 {
			return
		}
		if !f(b[:end]) {
			return
		}
		b = b[end:]
	}
}

// parseUint parses a decimal number of /proc without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseInt parses a decimal number that may be negative (a pgrp of -1 is
// not something the kernel writes, but tty_nr-like fields may be).
func parseInt(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok || u > 1<<62 {
		return 0, false
	}
	if neg {
		return -int(u), true
	}
	return int(u), true
}
