package redisenv

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/moby/client"
)

// The labels that name the process which started a Redis container: its
// pid, and its pid namespace, without which a pid says nothing (a test
// binary in a CI job's container shares the Docker daemon, not the pids).
const (
	OwnerPidLabel   = "org.leakspec.owner.pid"
	OwnerPidNSLabel = "org.leakspec.owner.pidns"
)

// ownerLabels returns the owner labels of a container this process starts,
// none when its pid namespace cannot be read.
func ownerLabels() map[string]string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return nil
	}
	return map[string]string{OwnerPidLabel: strconv.Itoa(os.Getpid()), OwnerPidNSLabel: ns}
}

// removeStale removes the Redis containers whose owner, a process in this
// process's pid namespace, is gone without removing them. Terminate and the
// reaper (internal/reaper) remove a container as its owner ends, however it
// ends; only an owner killed together with its reaper (every process of a
// session at once) leaves one, and the next run on the machine removes it
// here, as internal/cgroup removes the cgroups such a run left. A container
// whose owner lives, another engineer's run included, or whose owner's pids
// are not this process's to see, is left alone. It returns the ids removed;
// what it cannot list or remove it leaves, as it would without this sweep.
func removeStale(ctx context.Context, docker *client.Client) []string {
	return removeStaleOfRole(ctx, docker, "redis")
}

// removeStaleOfRole is removeStale for the containers labelled with role.
// Its test sweeps a role of its own: go test runs packages at once, and
// every Redis a suite starts sweeps "redis", which would take the test's
// orphan before the test could.
func removeStaleOfRole(ctx context.Context, docker *client.Client, role string) []string {
	self := ownerLabels()
	if self == nil {
		return nil
	}
	list, err := docker.ContainerList(ctx, client.ContainerListOptions{
		All: true,
		Filters: make(client.Filters).
			Add("label", RoleLabel+"="+role).
			Add("label", OwnerPidNSLabel+"="+self[OwnerPidNSLabel]),
	})
	if err != nil {
		return nil
	}
	var removed []string
	for _, c := range list.Items {
		pid, err := strconv.Atoi(c.Labels[OwnerPidLabel])
		if err != nil || pid <= 0 || pid == os.Getpid() || !gone(pid) {
			continue
		}
		if _, err := docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err == nil {
			removed = append(removed, c.ID)
		}
	}
	return removed
}

// gone reports whether no process has the pid. A pid taken again by another
// process keeps the container, which errs the safe way.
func gone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// joinShort lists container ids as docker ps shows them, 12 digits each.
func joinShort(ids []string) string {
	short := make([]string, len(ids))
	for i, id := range ids {
		short[i] = id[:min(len(id), 12)]
	}
	return strings.Join(short, ", ")
}
