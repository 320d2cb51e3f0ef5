// Package pytree holds tree.py, a Python program that becomes a real process
// tree of known size and memory on demand: the worker package's tests and
// benchmarks sample it, and perfreport measures the sampler's cost on it.
// One copy serves both, so the tree a test checks is the tree the published
// figures were measured on.
//
// The program waits for a line on its standard input, then writes a ballast
// of a given number of MiB, forks a given number of children that share it,
// and prints "ready"; closing its standard input makes it stop its children
// and exit. Write puts it in a directory for an interpreter to run:
//
//	script, err := pytree.Write(t.TempDir())
//	cmd := exec.Command("/usr/bin/python3", script, "2", "64") // 2 children, 64 MiB
package pytree

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed tree.py
var source []byte

// Write writes tree.py into dir and returns its path.
func Write(dir string) (string, error) {
	path := filepath.Join(dir, "tree.py")
	if err := os.WriteFile(path, source, 0o644); err != nil {
		return "", fmt.Errorf("write tree.py: %w", err)
	}
	return path, nil
}
