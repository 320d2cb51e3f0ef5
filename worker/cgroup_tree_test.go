package worker

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// orphanWorker leaves a sleep that is an orphan of init in a session and
// group of its own, beside the shell and its own sleep: three processes,
// of which /proc ties only two to the worker.
const orphanWorker = `sh -c 'setsid sh -c "echo escaped \$\$; exec sleep 600" &'; sleep 600 & sleep 0.2; echo ready; wait`

func TestSamplerFindsTheTreeInTheWorkersCgroup(t *testing.T) {
	for _, tt := range []struct {
		name       string
		cgroups    bool
		processes  int
		wantSource string
	}{
		{"own cgroup", true, 3, "cgroup v2 "},
		{"process group alone", false, 2, "/proc walk: members by parent links and process group (the worker runs in no cgroup of its own)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.cgroups {
				withoutCgroups(t)
			}
			p := mustStartWorker(t, Command{
				Argv:    shArgv(orphanWorker),
				LogPath: newLogPath(t),
				Ready:   regexp.MustCompile(`^ready$`),
				Stop:    StopKill,
			})
			if tt.cgroups && !strings.HasPrefix(p.Containment(), "cgroup v2 ") {
				t.Skipf("the worker has no cgroup here: %s", p.Containment())
			}
			escaped := pidsAfter(t, p, "escaped")[0]
			t.Cleanup(func() { syscall.Kill(escaped, syscall.SIGKILL) })
			rec := NewRecorder("orphan")
			s, err := StartSampler(rec, p.Pid(), p.Pid(), SamplerConfig{Interval: time.Hour}, p.Kill)
			if err != nil {
				t.Fatal(err)
			}
			r := s.Stop()
			if !strings.HasPrefix(r.Source, tt.wantSource) {
				t.Errorf("Source = %q, want it to start with %q", r.Source, tt.wantSource)
			}
			if got := r.Samples[0].Processes; got != tt.processes {
				t.Errorf("the first sample has %d processes, want %d (%s)", got, tt.processes, r.Source)
			}
			// Without a cgroup, Stop reports the orphan it cannot reach
			// (TestStopEndsOrphanThatLeftGroup); the cleanup kills it.
			if err := p.Stop(); tt.cgroups && err != nil {
				t.Errorf("Stop() = %v", err)
			}
		})
	}
}
