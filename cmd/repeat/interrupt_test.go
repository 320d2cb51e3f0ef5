package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asMain makes the test binary run the command itself, for a test that
// needs it as a process of its own.
const asMain = "LEAKSPEC_REPEAT_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeGo stands for `go tool ginkgo`: a suite that runs until it is
// interrupted, then cleans up. It logs its process group, each start and
// its cleanup.
const fakeGo = `#!/bin/sh
trap 'echo cleaned up >> "$FAKE_SUITE_LOG"; exit 1' INT
echo "pgid $$" >> "$FAKE_SUITE_LOG"
echo started >> "$FAKE_SUITE_LOG"
while :; do sleep 1; done
`

// TestInterruptStopsTheLoop sends the command SIGINT while its first of two
// runs is under way: the run must get the signal and clean up, the second
// must not start, and the command must say so and exit non-zero.
func TestInterruptStopsTheLoop(t *testing.T) {
	dir := t.TempDir()
	bin, out, suiteLog := filepath.Join(dir, "bin"), filepath.Join(dir, "out"), filepath.Join(dir, "suite.log")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	// A guard, not a measure: a command that ignores the signal is killed
	// rather than left to hang the test.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-n", "2", "-out", out)
	cmd.Env = append(os.Environ(), asMain+"=1", "FAKE_SUITE_LOG="+suiteLog, "PATH="+bin+":"+os.Getenv("PATH"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { killSuite(suiteLog) })

	for !strings.Contains(readFile(suiteLog), "started") {
		select {
		case err := <-done:
			t.Fatalf("the command ended (%v) before its suite started:\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() <= 0 || ctx.Err() != nil {
		t.Fatalf("the command ended with %v (context %v), want a non-zero exit of its own:\n%s", err, ctx.Err(), stderr.String())
	}
	log := readFile(suiteLog)
	if n := strings.Count(log, "started"); n != 1 || !strings.Contains(log, "cleaned up") {
		t.Errorf("the suite's log says\n%s\nwant one start and its cleanup", log)
	}
	if !strings.Contains(stderr.String(), "serial-01 was interrupted") {
		t.Errorf("the command's output does not name the interrupted run:\n%s", stderr.String())
	}
	if table := readFile(filepath.Join(out, "table.md")); !strings.Contains(table, "interrupted after 0 of the 2 runs") {
		t.Errorf("the table does not say it was interrupted:\n%s", table)
	}
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

// killSuite ends the fake suite's process group if it is still there, as
// it is when the command failed to pass the signal on.
func killSuite(suiteLog string) {
	for _, line := range strings.Split(readFile(suiteLog), "\n") {
		if v, ok := strings.CutPrefix(line, "pgid "); ok {
			if pgid, err := strconv.Atoi(v); err == nil && pgid > 1 {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
		}
	}
}
