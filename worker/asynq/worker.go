package asynq

import (
	"context"
	"errors"
	"fmt"
	"time"

	hibiken "github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/goworker"
)

// DefaultReadyTimeout bounds how long StartWorker waits for the worker's
// server to show up in Redis. asynq registers it as the server starts.
const DefaultReadyTimeout = 30 * time.Second

// WorkerOptions says how to run an asynq worker program.
type WorkerOptions struct {
	// Program is the worker's executable (see goworker.Build).
	Program string
	// Args are its arguments, such as "-scenario", "keep".
	Args []string
	// RedisURL is given to the worker as REDIS_URL, and is where
	// StartWorker waits for its server to register.
	RedisURL string
	// LogPath is the file that receives the worker's output.
	LogPath string
	// Env holds "KEY=value" entries added to the worker's environment.
	Env []string
	// ReadyTimeout bounds the wait for the worker's server in Redis;
	// DefaultReadyTimeout when zero.
	ReadyTimeout time.Duration
}

// Program is the package of leakspec's own asynq worker program, the one
// Start runs when no Program is given.
const Program = "github.com/leakspec/leakspec/fixtures/asynqworker"

// Start fills the options left empty from d (leakspec's worker program,
// built by d.GoProgram, Redis, the log file, the environment) and starts
// the worker (see StartWorker).
func (opts WorkerOptions) Start(ctx context.Context, d worker.Defaults) (*goworker.Worker, error) {
	if opts.Program == "" && d.GoProgram != nil {
		bin, err := d.GoProgram(ctx, Program)
		if err != nil {
			return nil, fmt.Errorf("start asynq worker: %w", err)
		}
		opts.Program = bin
	}
	if opts.RedisURL == "" {
		opts.RedisURL = d.RedisURL
	}
	if opts.LogPath == "" {
		opts.LogPath = d.LogPath
	}
	opts.Env = append(d.Env[:len(d.Env):len(d.Env)], opts.Env...)
	return StartWorker(ctx, opts)
}

// StartWorker starts the worker program in its own process group, learns its
// leakspec endpoint from its first line, and returns once asynq's inspector
// lists a server with the worker's pid, active. Like worker.Start, when the
// worker started but failed, the Worker comes back with the error, its
// group already killed and reaped.
func StartWorker(ctx context.Context, opts WorkerOptions) (*goworker.Worker, error) {
	if opts.Program == "" {
		return nil, errors.New("start asynq worker: Program is empty; build the worker first (goworker.Build)")
	}
	if opts.RedisURL == "" {
		return nil, errors.New("start asynq worker: RedisURL is empty; the worker needs the URL of its Redis")
	}
	redisOpts, err := redis.ParseURL(opts.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("start asynq worker: %w", err)
	}
	w, err := goworker.Start(ctx, worker.Command{
		Argv:    append([]string{opts.Program}, opts.Args...),
		Env:     append(opts.Env[:len(opts.Env):len(opts.Env)], "REDIS_URL="+opts.RedisURL),
		LogPath: opts.LogPath,
		// Go's log package writes each line at once, so SIGKILL loses
		// none; asynq's graceful Shutdown would wait for active tasks.
		Stop: worker.StopKill,
	})
	if err != nil {
		return w, fmt.Errorf("start asynq worker: %w", err)
	}
	rdb := redis.NewClient(redisOpts)
	defer rdb.Close()
	timeout := opts.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	if err := awaitServer(ctx, hibiken.NewInspectorFromRedisClient(rdb), w, timeout); err != nil {
		w.Kill("its asynq server did not start")
		w.Stop()
		return w, fmt.Errorf("start asynq worker: %w", err)
	}
	return w, nil
}

// awaitServer polls the inspector until it lists the worker's server as
// active, the worker exits, or the time is up.
func awaitServer(ctx context.Context, inspector *hibiken.Inspector, w *goworker.Worker, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	var lastErr error
	for {
		servers, err := inspector.Servers()
		lastErr = err
		for _, s := range servers {
			if s.PID == w.Pid() && s.Status == "active" {
				return nil
			}
		}
		select {
		case <-ticker.C:
		case <-w.Done():
			return fmt.Errorf("%w before its asynq server registered in Redis%s", exitReason(w.Process), tail(w.Process))
		case <-deadline.C:
			why := ""
			if lastErr != nil {
				why = fmt.Sprintf(" (the last look failed: %v)", lastErr)
			}
			return fmt.Errorf("the asynq server of process %d did not register in Redis within %v%s; the adapter reads asynq's Redis format from v0.24 on (v0.24.1 and v0.26.0 are tried), and a worker on an older asynq runs through goworker.Start instead (docs/go-workers.md)%s",
				w.Pid(), timeout, why, tail(w.Process))
		case <-ctx.Done():
			return fmt.Errorf("the asynq server of process %d had not registered in Redis when the context ended: %w", w.Pid(), context.Cause(ctx))
		}
	}
}

// tail quotes the worker's last log lines for an error.
func tail(p *worker.Process) string {
	lines := p.Tail()
	if len(lines) == 0 {
		return "; it printed nothing"
	}
	out := "; its last lines:"
	for _, l := range lines[max(0, len(lines)-10):] {
		out += "\n  " + l
	}
	return out
}
