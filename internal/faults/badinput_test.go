package faults

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// badInput is a mistake a user can make, and the one sentence a suite run
// must stop with. {cfg} in want stands for the run's configuration file and
// {dir} for a directory of the test's; a want between slashes is a regular
// expression, for sentences that hold a figure measured at run time.
type badInput struct {
	name string
	// config is the text of the run's ginkgo.yml; empty leaves it "{}".
	config string
	// env are environment variables for the run.
	env []string
	// faults runs the fault suite's quick specs instead of the selftest.
	faults bool
	// args are more arguments for the suite's binary.
	args []string
	// noDocker hides the Docker socket from the run.
	noDocker bool
	want     string
}

var badInputs = []badInput{
	{name: "unknown key", config: "sampling:\n  intervall: 1s\n",
		want: "{cfg}:2: sampling.intervall is not a known key; sampling takes interval, slow_interval and ceiling."},
	{name: "wrong type", config: "python:\n  interpreter: [python3]\n",
		want: "{cfg}:2: python.interpreter is a list, but it takes a path such as /usr/bin/python3."},
	{name: "not YAML", config: "redis:\n  image: redis:7\n\turl: \"\"\n",
		want: "{cfg}:2: the file is not valid YAML: found a tab character that violates indentation."},
	{name: "zero interval", config: "sampling:\n  interval: 0s\n",
		want: `{cfg}:2: sampling.interval "0s" is not positive: the sampler needs a period such as 100ms.`},
	{name: "negative interval", env: []string{"LEAKSPEC_INTERVAL=-5ms"},
		want: `LEAKSPEC_INTERVAL "-5ms" is not positive: the sampler needs a period such as 100ms.`},
	{name: "interval longer than the slow interval", env: []string{"LEAKSPEC_INTERVAL=2s"},
		want: `LEAKSPEC_INTERVAL "2s" is longer than the default sampling.slow_interval of 1s; set sampling.slow_interval to at least 2s too.`},
	{name: "ceiling under the minimum", env: []string{"LEAKSPEC_CEILING=8MB"},
		want: `LEAKSPEC_CEILING "8MB" is less than the 16MB minimum: a worker's interpreter alone needs about that much, so every spec would be killed as it starts.`},
	{name: "size without a unit", env: []string{"LEAKSPEC_CEILING=4294967296"},
		want: `LEAKSPEC_CEILING "4294967296" is not a size: use a number and a unit such as 512MB, 64MiB or 1.5GiB.`},
	{name: "tolerance without a percent sign", env: []string{"LEAKSPEC_TOLERANCE=20"},
		want: `LEAKSPEC_TOLERANCE "20" is not a percentage: use a number and a % sign, such as 20% or 12.5%.`},
	{name: "missing configuration file", env: []string{"LEAKSPEC_CONFIG={dir}/nowhere/ginkgo.yml"},
		want: "LEAKSPEC_CONFIG names {dir}/nowhere/ginkgo.yml, which does not exist; correct the path, or unset LEAKSPEC_CONFIG to use the ginkgo.yml found from the working directory."},
	{name: "missing baseline", env: []string{"LEAKSPEC_BASELINE={dir}/main-run/summary.json"},
		want: `/^LEAKSPEC_BASELINE "\S+/main-run/summary.json" names \S+/main-run/summary.json, which does not exist; .+\.$/`},
	{name: "Redis URL of another scheme", env: []string{"LEAKSPEC_REDIS_URL=http://:hunter2@127.0.0.1:6379"},
		want: `LEAKSPEC_REDIS_URL "http://:***@127.0.0.1:6379" is not a Redis URL: use one such as redis://127.0.0.1:6379, or "" to start a container.`},
	{name: "Redis URL off loopback", env: []string{"LEAKSPEC_REDIS_URL=redis://10.0.0.5:6379"},
		want: `LEAKSPEC_REDIS_URL "redis://10.0.0.5:6379" points at 10.0.0.5, which is not this machine: leak specs flood their queues, so leakspec only uses a Redis on loopback, such as redis://127.0.0.1:6379.`},
	{name: "Redis unreachable", env: []string{"LEAKSPEC_REDIS_URL=redis://:hunter2@127.0.0.1:1/0"},
		want: "reach redis at redis://:***@127.0.0.1:1/0: dial tcp 127.0.0.1:1: connect: connection refused"},
	{name: "Docker unreachable", noDocker: true,
		want: `/^prepare redis image: docker is unreachable \(.+\): start Docker, or set LEAKSPEC_REDIS_URL to a Redis server that leakspec may flush$/`},
	{name: "missing interpreter", env: []string{"LEAKSPEC_PYTHON={dir}/bin/python3.99"},
		want: "start rq worker: cannot find the Python interpreter {dir}/bin/python3.99; set the interpreter to a Python 3 with RQ, such as /usr/bin/python3 (Debian's python3-rq)"},
	{name: "required system missing", env: []string{"LEAKSPEC_PYTHON={dir}/bare/python3", "LEAKSPEC_REQUIRE=rq"},
		want: "start rq worker: {dir}/bare/python3 cannot import rq (ModuleNotFoundError: No module named 'rq'); install RQ for it or set the interpreter to one that has it. " +
			"On Debian or Ubuntu: apt-get install python3-rq python3-redis. rq is required (workers.require in ginkgo.yml, or LEAKSPEC_REQUIRE), so its specs fail rather than skip."},
	{name: "required system missing, required in ginkgo.yml", config: "workers:\n  require: [celery, rq]\n", env: []string{"LEAKSPEC_PYTHON={dir}/bare/python3"},
		want: "start rq worker: {dir}/bare/python3 cannot import rq (ModuleNotFoundError: No module named 'rq'); install RQ for it or set the interpreter to one that has it. " +
			"On Debian or Ubuntu: apt-get install python3-rq python3-redis. rq is required (workers.require in ginkgo.yml, or LEAKSPEC_REQUIRE), so its specs fail rather than skip."},
	{name: "missing job module", faults: true, env: []string{"LEAKSPEC_FAULT_IMPORT=faults_jobz"},
		want: `/^start rq worker: /usr/bin/python3 cannot import the job module faults_jobz \(ModuleNotFoundError: No module named 'faults_jobz'\); Dir \S+/faults is first on its PYTHONPATH$/`},
	{name: "ceiling below the worker's own memory", faults: true, env: []string{"LEAKSPEC_CEILING=16MB"},
		want: `/^wait for 40 jobs on faults \(0 finished, 0 failed, \d started, \d+ queued, 0 scheduled\): python3 was killed: the worker's process tree reached \d+\.\d MB, above the 16\.0 MB ceiling, and was killed$/`},
	{name: "unknown label", args: []string{"-ginkgo.label-filter=selftset"},
		want: "The label filter \"selftset\" names the label selftset, which no spec of any suite under suites/ has (did you mean selftest?), so it would run nothing: correct it, or list the labels with `go tool ginkgo labels ./suites/...`."},
}

// TestBadInput runs a suite with each mistake and checks that the run fails
// with its one sentence, on a line of its own and as the JUnit file's
// failure, and leaves nothing behind.
func TestBadInput(t *testing.T) {
	selftest, faults := selftestSuite(t), faultsSuite(t)
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRun(t, "bad-input")
			fill := func(s string) string {
				s = strings.ReplaceAll(s, "{cfg}", filepath.Join(r.dir, "ginkgo.yml"))
				return strings.ReplaceAll(s, "{dir}", r.dir)
			}
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(r.dir, "ginkgo.yml"), []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			bare := filepath.Join(r.dir, "bare", "python3")
			if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
				t.Fatal(err)
			}
			// A real Python without its site packages, so without RQ, as
			// a python3 first on PATH often is.
			if err := os.WriteFile(bare, []byte("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var env []string
			for _, kv := range tc.env {
				env = append(env, fill(kv))
			}
			binary, dir, suite := selftest, filepath.Join(moduleRoot(t), "suites", "selftest"), "selftest"
			args := append([]string{"-ginkgo.no-color"}, tc.args...)
			if tc.faults {
				binary, dir, suite = faults, suiteDir(t), "faults"
				args = append(args, "-ginkgo.label-filter=quick")
			}
			argv := append([]string{binary}, args...)
			if tc.noDocker {
				argv = hideDocker(t, argv)
			}
			r.start(dir, r.environ(env...), argv...)
			if code := r.wait(); code == 0 {
				t.Fatalf("the run passed:\n%s", r.out())
			}
			r.nothingLeft()

			matches := matcherFor(fill(tc.want))
			if !hasLine(r.out(), matches) {
				t.Errorf("no line of the output is\n%s\noutput:\n%s", fill(tc.want), r.out())
			}
			failed := 0
			for _, c := range r.cases(suite) {
				if f := failure(c); f != nil {
					failed++
					if !matches(f.Message) {
						t.Errorf("%q failed with\n%s\nwant\n%s", c.Name, f.Message, fill(tc.want))
					}
				}
			}
			if failed == 0 {
				t.Errorf("no testcase of the JUnit file failed")
			}
		})
	}
}

// matcherFor returns a test of a sentence: equality, or a match of the
// regular expression between slashes.
func matcherFor(want string) func(string) bool {
	if len(want) > 1 && strings.HasPrefix(want, "/") && strings.HasSuffix(want, "/") {
		return regexp.MustCompile(want[1 : len(want)-1]).MatchString
	}
	return func(s string) bool { return s == want }
}

// hasLine reports whether a line of out, less Ginkgo's indentation and its
// [FAILED] tag, is the sentence.
func hasLine(out string, matches func(string) bool) bool {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "[FAILED] ")
		if matches(line) {
			return true
		}
	}
	return false
}

// hideDocker wraps argv to run in a private mount namespace where the Docker
// socket is /dev/null, as fixtures' TestStartRedisWithoutDocker does:
// Docker is really unreachable there, and nothing outside is touched.
func hideDocker(t *testing.T, argv []string) []string {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) to hide the Docker socket in a private mount namespace")
	}
	return append([]string{unshare, "--mount", "--", "sh", "-c",
		`mount --bind /dev/null /var/run/docker.sock && exec "$@"`, "sh"}, argv...)
}
