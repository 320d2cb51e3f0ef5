package worker

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"syscall"
)

// Err says how the worker ended: its exit status, the signal that killed
// it, or the reason given to Kill. It returns nil while the worker runs and
// when it exited with status 0 on its own or after Stop. The error wraps
// the *exec.ExitError, if any.
func (p *Process) Err() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	if p.exit.clean {
		return nil
	}
	return p.exit
}

// Exit says how the worker ended, as Err does, and for a clean exit that
// it exited: the reason a wait for its work ends. It returns nil while the
// worker runs.
func (p *Process) Exit() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	if err := p.Err(); err != nil {
		return err
	}
	return fmt.Errorf("the worker (pid %d) exited", p.pid)
}

// exitError says how a worker's leader ended.
type exitError struct {
	msg   string
	err   error // from exec.Cmd.Wait: an *exec.ExitError, or nil
	clean bool  // it exited with status 0 and was not killed by Kill
}

func newExitError(name, killReason string, waitErr error) *exitError {
	e := &exitError{err: waitErr}
	var exitErr *exec.ExitError
	switch {
	case killReason != "":
		e.msg = fmt.Sprintf("%s was killed: %s", name, killReason)
	case errors.As(waitErr, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.msg = fmt.Sprintf("%s was killed by signal %d (%v)", name, int(ws.Signal()), ws.Signal())
		} else {
			e.msg = fmt.Sprintf("%s exited with status %d", name, exitErr.ExitCode())
		}
	case waitErr != nil:
		e.msg = fmt.Sprintf("%s ended, but waiting for it failed: %v", name, waitErr)
	default:
		e.msg = fmt.Sprintf("%s exited with status 0", name)
		e.clean = true
	}
	return e
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) Unwrap() error { return e.err }

// startError turns the error of exec.Cmd.Start into one sentence about the
// program that is wrong.
func startError(name string, err error) error {
	var execErr *exec.Error
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &execErr):
		return fmt.Errorf("start worker: %s: %w", execErr.Name, execErr.Err)
	case errors.As(err, &pathErr):
		return fmt.Errorf("start worker: %s: %w", pathErr.Path, pathErr.Err)
	default:
		return fmt.Errorf("start worker: %s: %w", name, err)
	}
}
