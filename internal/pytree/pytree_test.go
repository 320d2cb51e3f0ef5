package pytree

import (
	"bufio"
	"os/exec"
	"testing"
)

// TestTreeRunsItsProtocol runs tree.py as Write leaves it: it waits, grows
// when told, says ready, and exits cleanly once its stdin closes.
func TestTreeRunsItsProtocol(t *testing.T) {
	script, err := Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", script, "2", "1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	expect := func(want string) {
		t.Helper()
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("tree.py said %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
	}
	expect("waiting")
	if _, err := stdin.Write([]byte("grow\n")); err != nil {
		t.Fatal(err)
	}
	expect("ready")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("tree.py ended with %v after its stdin closed, want a clean exit", err)
	}
}
