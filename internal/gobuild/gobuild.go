// Package gobuild builds a Go program for a worker adapter or a suite,
// without the adapters' dependencies.
package gobuild

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// buildTimeout bounds a build: a cold cache compiles a worker's
// dependencies in well under a minute on a small machine.
const buildTimeout = 3 * time.Minute

// Build compiles the Go package pkg into the executable out, running the go
// command found on PATH in dir (see goworker.Build, which is this).
func Build(ctx context.Context, dir, pkg, out string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build go worker %s: cannot find the go command on PATH: %w", pkg, err)
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, goCmd, "build", "-o", out, pkg)
	c.Dir = dir
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = time.Second
	var output bytes.Buffer
	c.Stdout, c.Stderr = &output, &output
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build go worker %s: %w", pkg, context.Cause(ctx))
		}
		return fmt.Errorf("build go worker %s in %s: %w: %s", pkg, dir, err, strings.TrimSpace(output.String()))
	}
	return nil
}
