package worker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxTailLineBytes caps each line kept in memory, so that a worker printing
// a megabyte without a newline (a serialized payload, a progress bar) cannot
// make Tail or an error message huge. The log file always gets all of it.
const maxTailLineBytes = 4 << 10

// errOutputHeldOpen is what copyOutput reports when the pipe never reached
// end-of-file after the group was killed.
var errOutputHeldOpen = errors.New("its output was still open after its group was killed: a process outside the group (one that called setsid or setpgid) may still be running")

// logTail keeps the last lines of a worker's output. It is safe for
// concurrent use: the output goroutine adds while callers read.
type logTail struct {
	mu    sync.Mutex
	lines []string // a ring of at most cap(lines) lines
	start int      // index of the oldest line once the ring is full
}

func newLogTail(size int) *logTail {
	return &logTail{lines: make([]string, 0, size)}
}

func (t *logTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) < cap(t.lines) {
		t.lines = append(t.lines, line)
		return
	}
	t.lines[t.start] = line
	t.start = (t.start + 1) % len(t.lines)
}

// Lines returns a copy of the kept lines, oldest first.
func (t *logTail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.lines))
	out = append(out, t.lines[t.start:]...)
	return append(out, t.lines[:t.start]...)
}

// copyOutput copies a worker's combined output from pipe to log until the
// pipe ends, adds each line to tail, passes it to onLine (when not nil), and
// calls onReady after the first line that matches ready has been added
// (never when ready is nil).
//
// It reads on even after a write to log fails: a worker whose pipe fills up
// blocks, and a blocked worker is not the failure being reported.
func copyOutput(pipe io.Reader, log io.Writer, tail *logTail, onLine func(string), ready *regexp.Regexp, onReady func()) error {
	r := bufio.NewReaderSize(pipe, 64<<10)
	var (
		line     []byte // the start of the current line, at most maxTailLineBytes
		dropped  int    // bytes of the current line beyond that
		writeErr error
	)
	for {
		// ReadSlice never holds more than the buffer: a longer line comes
		// in pieces (ErrBufferFull), so no line length can stall the pipe.
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > 0 && writeErr == nil {
			_, writeErr = log.Write(chunk)
		}
		endOfLine := err == nil
		if endOfLine {
			chunk = chunk[:len(chunk)-1]
		}
		kept := min(len(chunk), maxTailLineBytes-len(line))
		line = append(line, chunk[:kept]...)
		dropped += len(chunk) - kept

		if endOfLine || (err != nil && err != bufio.ErrBufferFull && len(line)+dropped > 0) {
			text := tailLine(line, dropped)
			tail.add(text)
			if onLine != nil {
				onLine(text)
			}
			if ready != nil && ready.Match(bytes.TrimSuffix(line, []byte("\r"))) {
				ready = nil
				onReady()
			}
			line, dropped = line[:0], 0
		}

		switch {
		case err == nil, err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			return writeErr
		case errors.Is(err, os.ErrDeadlineExceeded):
			return errors.Join(writeErr, errOutputHeldOpen)
		default:
			return errors.Join(writeErr, fmt.Errorf("read output: %w", err))
		}
	}
}

// tailLine turns the kept start of a line into the text the tail shows,
// saying how much was left out.
func tailLine(line []byte, dropped int) string {
	if dropped == 0 {
		return string(bytes.TrimSuffix(line, []byte("\r")))
	}
	// Cut before a rune that the cap split, so that the tail stays UTF-8.
	cut := len(line)
	for i := len(line) - 1; i >= 0 && i >= len(line)-utf8.UTFMax; i-- {
		if utf8.RuneStart(line[i]) {
			if !utf8.FullRune(line[i:]) {
				cut = i
			}
			break
		}
	}
	dropped += len(line) - cut
	return fmt.Sprintf("%s … (%d more bytes in the log)", line[:cut], dropped)
}

// tailReport is the end of an error message: the last log lines, indented.
func (p *Process) tailReport() string {
	lines := p.tail.Lines()
	if len(lines) == 0 {
		return fmt.Sprintf("; it wrote nothing to its log %s", p.logPath)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "; last log lines (%s):", p.logPath)
	for _, line := range lines {
		b.WriteString("\n  ")
		b.WriteString(line)
	}
	return b.String()
}
