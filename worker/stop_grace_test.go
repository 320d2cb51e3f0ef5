package worker

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// stubbornWorker ignores SIGTERM, and so does the child it forks, which
// inherits the disposition. It writes its lines unbuffered before the
// ready line, and then both sleep: only SIGKILL ends them.
const stubbornWorker = `
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = os.fork()
if child == 0:
    time.sleep(600)
    os._exit(0)
os.write(1, b"child %d\n" % child)
for i in range(3):
    os.write(1, b"working %d\n" % i)
os.write(1, b"ready\n")
time.sleep(600)
`

func TestStopGracefulKillsAWorkerThatIgnoresSIGTERM(t *testing.T) {
	p := mustStartWorker(t, Command{
		Argv:    pythonArgv(stubbornWorker),
		LogPath: newLogPath(t),
		Ready:   regexp.MustCompile(`^ready$`),
	})
	stopLeavingNothing(t, p, pidsAfter(t, p, "child"))
	// Stop saw that no process could act on SIGTERM, and did not wait.
	if forced, waited := p.ForcedStop(); !forced || waited != 0 {
		t.Errorf("ForcedStop() = %v, %v; want true, 0", forced, waited)
	}
	log, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "working 0\nworking 1\nworking 2\nready\n") {
		t.Errorf("the log lacks the worker's lines:\n%s", log)
	}
}

func TestStopGracefulKeepsWhatTheSIGTERMHandlerWrites(t *testing.T) {
	tests := []struct {
		name string
		// handler is the body of the worker's SIGTERM handler; the
		// worker's stdout is a pipe, so Python buffers what it prints.
		handler string
		forced  bool
	}{
		// The line is in Python's buffer until exit flushes it.
		{"writes and exits", `print("goodbye from the handler"); sys.exit(0)`, false},
		// The line is flushed, and then the handler hangs until the
		// default grace is over.
		{"writes and hangs", `print("goodbye from the handler", flush=True); time.sleep(600)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := "import signal, sys, time\n" +
				"def handler(signum, frame):\n    " + tt.handler + "\n" +
				"signal.signal(signal.SIGTERM, handler)\n" +
				"print('ready', flush=True)\n" +
				"time.sleep(600)\n"
			p := mustStartWorker(t, Command{
				Argv:    pythonArgv(script),
				LogPath: newLogPath(t),
				Ready:   regexp.MustCompile(`^ready$`),
			})
			stopLeavingNothing(t, p, nil)
			if forced, waited := p.ForcedStop(); forced != tt.forced || waited != DefaultStopGrace {
				t.Errorf("ForcedStop() = %v, %v; want %v, %v", forced, waited, tt.forced, DefaultStopGrace)
			}
			log, err := os.ReadFile(p.LogPath())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(log), "ready\ngoodbye from the handler\n") {
				t.Errorf("the log lacks the line the SIGTERM handler wrote:\n%s", log)
			}
		})
	}
}
