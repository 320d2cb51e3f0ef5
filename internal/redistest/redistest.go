// Package redistest runs a real, throwaway redis-server for package tests.
//
// Suites get their Redis from a testcontainers fixture; a package test only
// needs a server that answers, quickly and without Docker. Start runs the
// host's redis-server on a free loopback port, without persistence, and
// kills exactly that process when the test ends:
//
//	func TestEnqueue(t *testing.T) {
//		rdb := redistest.Client(t) // a go-redis client of a server of its own
//		...
//		cmd := exec.Command("python3", "producer.py", redistest.URL(rdb))
//	}
//
// Each call starts its own server, so tests that call it never share data
// and may run in parallel.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the redis-server executable Start runs, looked up on PATH.
const binary = "redis-server"

// readyTimeout bounds how long Start waits for the first PONG. A loopback
// redis-server answers within milliseconds; this only stops a broken one
// from hanging the test.
const readyTimeout = 10 * time.Second

// portAttempts is how often Start retries when another process takes the
// free port between our probe and redis-server's bind.
const portAttempts = 3

// Option changes how Start runs the server.
type Option func(*options)

type options struct {
	password string
}

// WithPassword makes the server require password (requirepass), and Start
// returns a URL that carries it: "redis://:password@127.0.0.1:40123/0".
func WithPassword(password string) Option {
	return func(o *options) { o.password = password }
}

// Start runs a redis-server bound to 127.0.0.1 on a free port and returns its
// URL, such as "redis://127.0.0.1:40123/0". The server keeps everything in
// memory and is killed, by its pid, when the test and its subtests finish.
// Start fails the test with a sentence saying what went wrong when the
// server cannot be started.
func Start(t testing.TB, opts ...Option) string {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		t.Fatalf("redistest: %s is not on PATH; install Debian's redis-server package to run these tests.", binary)
	}
	var errs []error
	for range portAttempts {
		url, err := start(t, path, o)
		if err == nil {
			return url
		}
		errs = append(errs, err)
		if !errors.Is(err, errAddressInUse) {
			break
		}
	}
	t.Fatalf("redistest: %v", errors.Join(errs...))
	return ""
}

// errAddressInUse marks a start that lost the race for its port.
var errAddressInUse = errors.New("address already in use")

// start runs one redis-server and waits until it answers PING.
func start(t testing.TB, path string, o options) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
	}
	userinfo := ""
	if o.password != "" {
		args = append(args, "--requirepass", o.password)
		userinfo = ":" + o.password + "@"
	}
	cmd := exec.Command(path, args...)
	var output lockedBuffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	// Its own process group keeps a Ctrl-C meant for `go test` from racing
	// the cleanup; Pdeathsig takes the server down with a test binary that
	// dies without running its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", path, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.Now().Add(readyTimeout)
	for {
		if ping(addr, o.password) == nil {
			t.Cleanup(stop)
			return "redis://" + userinfo + addr + "/0", nil
		}
		select {
		case <-exited:
			out := strings.TrimSpace(output.String())
			if strings.Contains(strings.ToLower(out), "address already in use") {
				return "", fmt.Errorf("redis-server on port %d: %w", port, errAddressInUse)
			}
			return "", fmt.Errorf("redis-server on port %d exited before answering PING (%s): %s", port, cmd.ProcessState, lastLine(out))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("redis-server on port %d did not answer PING within %s: %s", port, readyTimeout, lastLine(output.String()))
		}
	}
}

// freePort asks the kernel for a loopback port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ping sends one PING in RESP, after an AUTH when there is a password, and
// expects +PONG; speaking the protocol by hand keeps this package free of a
// client library.
func ping(addr, password string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	if password != "" {
		auth := fmt.Sprintf("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password)
		if _, err := conn.Write([]byte(auth)); err != nil {
			return err
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if reply != "+OK\r\n" {
			return fmt.Errorf("unexpected reply to AUTH: %q", strings.TrimSpace(reply))
		}
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	reply, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if reply != "+PONG\r\n" {
		// A server still loading answers -LOADING; keep waiting.
		return fmt.Errorf("unexpected reply to PING: %q", strings.TrimSpace(reply))
	}
	return nil
}

// lastLine returns the last non-empty line of s, where redis-server says why
// it stopped.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// lockedBuffer is a bytes.Buffer safe for the exec copier goroutine and a
// reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
