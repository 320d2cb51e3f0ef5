package reaper

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/client"

	"github.com/leakspec/leakspec/internal/cgroup"
)

// removeTimeout bounds the removal of one container by a reaper.
const removeTimeout = 10 * time.Second

// reap is the reaper's loop: it reads the targets watched and forgotten
// from r until end-of-file, when the caller is gone, then ends what is
// still watched with end: processes first, which may hold a container's
// port, then containers. It returns the errors of end, joined.
func reap(r io.Reader, end func(Target) error) error {
	var watched []Target
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		t, sign, ok := parseLine(lines.Text())
		switch {
		case !ok:
			continue
		case sign == '+':
			watched = append(watched, t)
		default:
			if i := slices.Index(watched, t); i >= 0 {
				watched = slices.Delete(watched, i, i+1)
			}
		}
	}
	var errs []error
	for _, containers := range []bool{false, true} {
		for _, t := range watched {
			if (t.kind == kindContainer) != containers {
				continue
			}
			if err := end(t); err != nil {
				errs = append(errs, fmt.Errorf("reap %s: %w", t, err))
			}
		}
	}
	return errors.Join(errs...)
}

// parseLine reads a line that Target.line wrote.
func parseLine(s string) (Target, byte, bool) {
	if len(s) < 4 || (s[0] != '+' && s[0] != '-') || s[2] != ' ' {
		return Target{}, 0, false
	}
	t := Target{kind: s[1], id: s[3:]}
	if t.kind == kindContainer {
		// A container id has no space, and a daemon's address none either.
		t.id, t.host, _ = strings.Cut(t.id, " ")
	}
	return t, s[0], true
}

// end ends one target for good.
func end(t Target) error {
	switch t.kind {
	case kindGroup:
		pgid, err := strconv.Atoi(t.id)
		if err != nil || pgid <= 1 {
			return fmt.Errorf("not a process group id: %q", t.id)
		}
		if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			return err
		}
		return nil
	case kindCgroup:
		return cgroup.Reap(t.id)
	case kindContainer:
		opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
		if t.host != "" {
			// After FromEnv, whose TLS settings still apply.
			opts = append(opts, client.WithHost(t.host))
		}
		docker, err := client.New(opts...)
		if err != nil {
			return err
		}
		defer docker.Close()
		ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
		defer cancel()
		_, err = docker.ContainerRemove(ctx, t.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		return err
	}
	return fmt.Errorf("unknown kind %q", t.kind)
}
