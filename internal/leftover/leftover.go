// Package leftover finds what a run of leakspec's suites left behind: live
// processes and Docker containers. A run is told apart from everything else
// on the machine, other engineers' suites included, by an id in the
// environment variable LEAKSPEC_RUN_ID, which every process of the run
// inherits and which fixtures puts on every Redis container it starts as the
// label org.leakspec.run:
//
//	id := leftover.NewID("faults")
//	cmd := exec.Command("go", "tool", "ginkgo", "./suites/...")
//	cmd.Env = append(os.Environ(), leftover.EnvRunID+"="+id)
//	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
//	... run it ...
//	left, err := leftover.Await(ctx, id, cmd.Process.Pid, 30*time.Second)
//
// Processes are also matched by session, so that one which cleared its
// environment is still found when the run was started in a session of its
// own. Nothing here kills or removes anything: it only looks.
package leftover

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/prometheus/procfs"

	"github.com/leakspec/leakspec/internal/redisenv"
)

// EnvRunID is the environment variable that carries a run's id.
const EnvRunID = redisenv.EnvRunID

// NewID returns a fresh run id, prefix and random hex.
func NewID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Process is a live process of a run.
type Process struct {
	Pid     int
	Session int
	State   string
	Cmdline string
}

func (p Process) String() string { return fmt.Sprintf("%d (%s) %s", p.Pid, p.State, p.Cmdline) }

// Container is a container of a run, running or not.
type Container struct {
	ID    string
	Image string
	State string
}

func (c Container) String() string { return fmt.Sprintf("%.12s %s (%s)", c.ID, c.Image, c.State) }

// Left is what a run left behind.
type Left struct {
	Processes  []Process
	Containers []Container
}

// Empty reports whether nothing was left.
func (l Left) Empty() bool { return len(l.Processes) == 0 && len(l.Containers) == 0 }

func (l Left) String() string {
	if l.Empty() {
		return "nothing"
	}
	var parts []string
	for _, p := range l.Processes {
		parts = append(parts, "process "+p.String())
	}
	for _, c := range l.Containers {
		parts = append(parts, "container "+c.String())
	}
	return strings.Join(parts, "; ")
}

// Processes returns the live processes whose environment holds
// LEAKSPEC_RUN_ID=id, or whose session is session (0 for none). Zombies are
// left out: they run nothing and hold no memory, and are reaped by whoever
// inherited them.
func Processes(id string, session int) ([]Process, error) {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	marker := []byte(EnvRunID + "=" + id)
	self := os.Getpid()
	var found []Process
	for _, proc := range procs {
		if proc.PID == self {
			continue
		}
		stat, err := proc.Stat()
		if err != nil || stat.State == "Z" || stat.State == "X" {
			continue // gone meanwhile, or a zombie
		}
		if !(session != 0 && stat.Session == session) && !hasMarker(proc.PID, marker) {
			continue
		}
		cmdline, _ := proc.CmdLine()
		found = append(found, Process{Pid: proc.PID, Session: stat.Session, State: stat.State, Cmdline: strings.Join(cmdline, " ")})
	}
	return found, nil
}

// hasMarker reports whether the process's environment holds marker.
func hasMarker(pid int, marker []byte) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return false
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if bytes.Equal(kv, marker) {
			return true
		}
	}
	return false
}

// Containers lists every container, running or stopped (docker ps -a),
// labelled org.leakspec.run=id.
func Containers(ctx context.Context, id string) ([]Container, error) {
	docker, err := Docker()
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	defer docker.Close()
	list, err := docker.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", redisenv.RunLabel+"="+id),
	})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var found []Container
	for _, c := range list.Items {
		found = append(found, Container{ID: c.ID, Image: c.Image, State: string(c.State)})
	}
	return found, nil
}

// Docker connects to the Docker engine that DOCKER_HOST names, or the local
// one; the caller closes it. Unlike testcontainers' client it says nothing
// as it connects, which keeps a test's output to what went wrong.
func Docker() (*client.Client, error) {
	return client.New(client.FromEnv, client.WithAPIVersionNegotiation())
}

// Find returns what of run id is left now.
func Find(ctx context.Context, id string, session int) (Left, error) {
	procs, err := Processes(id, session)
	if err != nil {
		return Left{}, err
	}
	ctrs, err := Containers(ctx, id)
	if err != nil {
		return Left{}, err
	}
	return Left{Processes: procs, Containers: ctrs}, nil
}

// Await polls until nothing of run id is left, or timeout passes, and
// returns what is left then. A run's last processes take a moment to go
// once the command that started them has returned: a worker's group is
// killed as its leader exits, a container is removed after its stop.
func Await(ctx context.Context, id string, session int, timeout time.Duration) (Left, error) {
	deadline := time.Now().Add(timeout)
	for {
		left, err := Find(ctx, id, session)
		if err != nil || left.Empty() || time.Now().After(deadline) {
			return left, err
		}
		select {
		case <-ctx.Done():
			return left, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
