package redisenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// TestRemoveStaleContainers: of three Redis containers, the one whose owner
// is gone is removed; the one whose owner lives, and the one whose owner is
// in another pid namespace, where its pid means nothing here, stay. Their
// role is the test's own, so that the sweeps of suites started by go test in
// parallel leave them to this one.
func TestRemoveStaleContainers(t *testing.T) {
	ctx := context.Background()
	docker, err := dockerClient(ctx)
	if err != nil {
		t.Skip(err)
	}
	defer docker.Close()
	image, err := ResolveImage(ctx, docker, "redis:7-alpine", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	self := ownerLabels()
	if self == nil {
		t.Skip("no /proc/self/ns/pid here")
	}
	role := fmt.Sprintf("redis-stale-test-%d", os.Getpid())

	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}
	living := exec.Command("sleep", "60")
	if err := living.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = living.Process.Kill(); _ = living.Wait() })

	create := func(pid int, pidns string) string {
		ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
			ContainerRequest: testcontainers.ContainerRequest{
				Image: image,
				Labels: map[string]string{RoleLabel: role,
					OwnerPidLabel: strconv.Itoa(pid), OwnerPidNSLabel: pidns},
			},
		})
		testcontainers.CleanupContainer(t, ctr)
		if err != nil {
			t.Fatal(err)
		}
		return ctr.GetContainerID()
	}
	orphan := create(ended.Process.Pid, self[OwnerPidNSLabel])
	owned := create(living.Process.Pid, self[OwnerPidNSLabel])
	elsewhere := create(ended.Process.Pid, "pid:[1]")

	removed := removeStaleOfRole(ctx, docker.Client, role)
	if !slices.Contains(removed, orphan) {
		t.Errorf("the container of a process that is gone was not removed (removed: %v)", removed)
	}
	for name, id := range map[string]string{"a living owner's": owned, "another pid namespace's": elsewhere} {
		if slices.Contains(removed, id) {
			t.Errorf("%s container was removed", name)
		}
		if _, err := docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err != nil {
			t.Errorf("%s container is gone: %v", name, err)
		}
	}
	if _, err := docker.ContainerInspect(ctx, orphan, client.ContainerInspectOptions{}); err == nil {
		t.Error("the orphan can still be inspected")
	}
}
