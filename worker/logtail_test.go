package worker

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestProcessLogFileHasAllOutput(t *testing.T) {
	// Lines alternate between stdout and stderr, one line is a MiB long
	// (far more than a pipe holds) and cut by the tail inside a two-byte
	// rune, and the last line has no newline.
	p := mustStartWorker(t, Command{
		Argv: pythonArgv(`import os
for i in range(1000):
    os.write(1 if i % 2 == 0 else 2, b"line %d\n" % i)
os.write(1, ("x" + "é" * (1 << 19) + "\n").encode())
os.write(2, "last line, no newline: é".encode())
`),
		LogPath:   newLogPath(t),
		TailLines: 3,
	})
	<-p.Done()
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}

	var want bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	long := "x" + strings.Repeat("é", 1<<19)
	want.WriteString(long + "\nlast line, no newline: é")
	got, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("log file has %d bytes that differ from the %d bytes written", len(got), want.Len())
	}

	kept := "x" + strings.Repeat("é", (maxTailLineBytes-1)/2)
	wantTail := []string{
		"line 999",
		fmt.Sprintf("%s … (%d more bytes in the log)", kept, len(long)-len(kept)),
		"last line, no newline: é",
	}
	if tail := p.Tail(); !slices.Equal(tail, wantTail) || !utf8.ValidString(tail[1]) {
		t.Errorf("Tail() = %.80q, want %.80q, all valid UTF-8", tail, wantTail)
	}
}

func TestStopKeepsLastLines(t *testing.T) {
	p := mustStartWorker(t, Command{
		Argv:    shArgv(`trap 'echo shutting down; exit 0' TERM; echo ready; sleep 600 & wait`),
		LogPath: newLogPath(t),
		Ready:   regexp.MustCompile(`^ready$`),
	})
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err() = %v, want nil for a worker that exited with status 0", err)
	}
	if got, want := p.Tail(), []string{"ready", "shutting down"}; !slices.Equal(got, want) {
		t.Errorf("Tail() = %q, want %q", got, want)
	}
	if got, err := os.ReadFile(p.LogPath()); err != nil || string(got) != "ready\nshutting down\n" {
		t.Errorf("log file = %q, %v; want both lines", got, err)
	}
}
