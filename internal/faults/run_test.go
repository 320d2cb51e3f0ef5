package faults

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/leakspec/leakspec/internal/leftover"
	"github.com/leakspec/leakspec/internal/redisenv"
)

// The longest a run may take before the test calls it a hang, and how long
// its processes and containers may take to go once it has returned.
const (
	runTimeout   = 3 * time.Minute
	leaveTimeout = 30 * time.Second
)

// binDir holds the executables the tests build once per test process.
var binDir string

func TestMain(m *testing.M) {
	redisenv.ConfigureTestcontainers()
	dir, err := os.MkdirTemp("", "leakspec-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the leakspec checkout the tests run in.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var builds struct {
	sync.Mutex
	done map[string]string
}

// binary builds, once per test process, the executable that args make
// (`go <args> -o <file>`, run at the module root) and returns it.
func binary(t *testing.T, name string, args ...string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if path, ok := builds.done[name]; ok {
		return path
	}
	path := filepath.Join(binDir, name)
	cmd := exec.Command("go", append(append(args[:1:1], "-o", path), args[1:]...)...)
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if builds.done == nil {
		builds.done = map[string]string{}
	}
	builds.done[name] = path
	return path
}

// faultsSuite is the compiled suite in testdata/suite.
func faultsSuite(t *testing.T) string {
	return binary(t, "faults.test", "test", "-c", "./internal/faults/testdata/suite")
}

// selftestSuite is the compiled selftest suite.
func selftestSuite(t *testing.T) string {
	return binary(t, "selftest.test", "test", "-c", "./suites/selftest")
}

// ginkgoCLI is the Ginkgo CLI of go.mod's tool line, built on its own so
// that a test can signal the CLI itself rather than the `go tool` wrapper.
func ginkgoCLI(t *testing.T) string {
	return binary(t, "ginkgo", "build", "github.com/onsi/ginkgo/v2/ginkgo")
}

// run is one run of a suite, in a session of its own, told apart from every
// other process and container on the machine by its id.
type run struct {
	t      *testing.T
	id     string
	dir    string
	cmd    *exec.Cmd
	output syncBuffer
	done   chan struct{}
}

// newRun prepares a run: its id, and a directory for its configuration, its
// reports (reportDir) and the announcements of the fault suite.
func newRun(t *testing.T, name string) *run {
	t.Helper()
	r := &run{t: t, id: leftover.NewID("faults-" + name), dir: t.TempDir()}
	for _, sub := range []string{"out", "announce"} {
		if err := os.Mkdir(filepath.Join(r.dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.dir, "ginkgo.yml"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// reportDir is where the run's reports go.
func (r *run) reportDir() string { return filepath.Join(r.dir, "out") }

// environ is the run's environment: this process's without any LEAKSPEC_*
// variable, the run's id, an empty configuration file, its report and
// announcement directories, then extra.
func (r *run) environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LEAKSPEC_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		leftover.EnvRunID+"="+r.id,
		"LEAKSPEC_CONFIG="+filepath.Join(r.dir, "ginkgo.yml"),
		"LEAKSPEC_REPORT_DIR="+r.reportDir(),
		"LEAKSPEC_FAULT_DIR="+filepath.Join(r.dir, "announce"),
	)
	return append(env, extra...)
}

// start runs argv in dir with env, as the leader of a new session, and
// makes sure, when the test ends, that nothing of the run is left.
func (r *run) start(dir string, env []string, argv ...string) {
	r.t.Helper()
	r.cmd = exec.Command(argv[0], argv[1:]...)
	r.cmd.Dir, r.cmd.Env = dir, env
	r.cmd.Stdout, r.cmd.Stderr = &r.output, &r.output
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start %s: %v", argv[0], err)
	}
	r.done = make(chan struct{})
	go func() {
		_ = r.cmd.Wait()
		close(r.done)
	}()
	r.t.Cleanup(r.reap)
}

// wait waits for the run's command to return and gives its exit code (-1
// when a signal ended it). A run that outlasts runTimeout is a hang.
func (r *run) wait() int {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(runTimeout):
		r.t.Fatalf("the run did not end within %v: it hangs\n%s", runTimeout, r.output.String())
	}
	return r.cmd.ProcessState.ExitCode()
}

// announced waits for the fault suite to announce name (see announce in
// testdata/suite) and returns the pid it gave.
func (r *run) announced(name string) int {
	r.t.Helper()
	path := filepath.Join(r.dir, "announce", name+".pid")
	deadline := time.Now().Add(runTimeout)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil {
			pid, err := strconv.Atoi(string(data))
			if err != nil {
				r.t.Fatalf("announcement %s: %v", name, err)
			}
			return pid
		}
		select {
		case <-r.done:
			r.t.Fatalf("the run ended before the suite announced %s:\n%s", name, r.output.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	r.t.Fatalf("the suite did not announce %s within %v", name, runTimeout)
	return 0
}

// signalGroup sends sig to the session leader's process group, as a
// terminal's Ctrl-C does to its foreground group.
func (r *run) signalGroup(sig syscall.Signal) {
	r.t.Helper()
	if err := syscall.Kill(-r.cmd.Process.Pid, sig); err != nil {
		r.t.Fatalf("signal the run's group: %v", err)
	}
}

// out is what the run printed so far.
func (r *run) out() string { return r.output.String() }

// cases reads the testcases of the suite's JUnit file in the run's reports.
func (r *run) cases(suite string) []reporters.JUnitTestCase {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.reportDir(), suite+".junit.xml"))
	if err != nil {
		r.t.Fatalf("the run wrote no JUnit file: %v\n%s", err, r.out())
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil || len(suites.TestSuites) != 1 {
		r.t.Fatalf("the JUnit file does not hold one suite (%v)", err)
	}
	return suites.TestSuites[0].TestCases
}

// testcase returns the testcase whose name holds text.
func (r *run) testcase(suite, text string) reporters.JUnitTestCase {
	r.t.Helper()
	var names []string
	for _, c := range r.cases(suite) {
		if strings.Contains(c.Name, text) {
			return c
		}
		names = append(names, c.Name)
	}
	r.t.Fatalf("no testcase named %q among %q", text, names)
	return reporters.JUnitTestCase{}
}

// nothingLeft checks that no process and no container of the run is left,
// waiting leaveTimeout for the last ones to go.
func (r *run) nothingLeft() {
	r.t.Helper()
	left, err := leftover.Await(context.Background(), r.id, r.cmd.Process.Pid, leaveTimeout)
	if err != nil {
		r.t.Fatalf("look for what the run left: %v", err)
	}
	if !left.Empty() {
		r.t.Errorf("the run left %v", left)
	}
}

// reap ends whatever of the run is still there when the test ends, which
// only happens when the test has failed: every process of the run by its
// pid, then its containers.
func (r *run) reap() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.done:
	default:
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	}
	ctx := context.Background()
	procs, _ := leftover.Processes(r.id, r.cmd.Process.Pid)
	for _, p := range procs {
		_ = syscall.Kill(p.Pid, syscall.SIGKILL)
	}
	ctrs, _ := leftover.Containers(ctx, r.id)
	if len(ctrs) == 0 {
		return
	}
	docker, err := leftover.Docker()
	if err != nil {
		return
	}
	defer docker.Close()
	for _, c := range ctrs {
		_, _ = docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
	}
}

// stopContainers stops the run's Redis containers, as a crashed or
// restarted Docker would, and returns how many it stopped.
func (r *run) stopContainers() int {
	r.t.Helper()
	ctx := context.Background()
	ctrs, err := leftover.Containers(ctx, r.id)
	if err != nil {
		r.t.Fatal(err)
	}
	docker, err := leftover.Docker()
	if err != nil {
		r.t.Fatal(err)
	}
	defer docker.Close()
	timeout := 1
	for _, c := range ctrs {
		if _, err := docker.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
			r.t.Fatalf("stop container %s: %v", c, err)
		}
	}
	return len(ctrs)
}

// property returns a testcase's property, "" when it has none.
func property(c reporters.JUnitTestCase, name string) string {
	if c.Properties == nil {
		return ""
	}
	return c.Properties.WithName(name)
}

// failure returns a testcase's failure or error, nil when it passed.
func failure(c reporters.JUnitTestCase) *reporters.JUnitFailure {
	if c.Failure != nil {
		return c.Failure
	}
	if c.Error != nil {
		return &reporters.JUnitFailure{Message: c.Error.Message, Type: c.Error.Type, Description: c.Error.Description}
	}
	return nil
}

// expectFailure checks that a testcase failed in state, with a message that
// matches want.
func expectFailure(t *testing.T, c reporters.JUnitTestCase, state string, want *regexp.Regexp) {
	t.Helper()
	f := failure(c)
	switch {
	case f == nil:
		t.Errorf("%q passed, want it %s with %q", c.Name, state, want)
	case f.Type != state:
		t.Errorf("%q ended %s, want %s: %s", c.Name, f.Type, state, f.Message)
	case !want.MatchString(f.Message):
		t.Errorf("%q failed with\n%s\nwant a message matching\n%s", c.Name, f.Message, want)
	}
}

// expectFiles checks that a spec's files are in the run's reports.
func (r *run) expectFiles(c reporters.JUnitTestCase, exts ...string) {
	r.t.Helper()
	for _, ext := range exts {
		rel := property(c, ext)
		if rel == "" {
			r.t.Errorf("%q names no %s file", c.Name, ext)
			continue
		}
		if info, err := os.Stat(filepath.Join(r.reportDir(), rel)); err != nil || info.Size() == 0 {
			r.t.Errorf("%q: its %s file %s is missing or empty (%v)", c.Name, ext, rel, err)
		}
	}
}

// syncBuffer is a bytes.Buffer that a command's output copier and a test
// may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
