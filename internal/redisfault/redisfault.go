// Package redisfault makes a go-redis client fail on purpose, so that a
// test can see what code does when Redis fails in the middle of its work.
//
// A real failure midway, a connection reset between two transactions, say,
// cannot be timed from a test; failing one chosen transaction in the client
// can, and leaves the server as a lost transaction would: without any of
// its writes.
//
//	redisfault.FailTransaction(rdb, 2, errors.New("connection reset"))
//	ids, err := q.EnqueueMany(ctx, jobs) // the first transaction's ids, and err
package redisfault

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// FailTransaction makes the nth transaction (MULTI … EXEC) that rdb sends
// from now on, counting from 1, return err without reaching the server.
// The transactions before and after it, and all other commands, go through.
// go-redis cannot remove a hook, so this holds for the rest of rdb's life.
func FailTransaction(rdb *redis.Client, n int, err error) {
	rdb.AddHook(&failTransaction{n: n, err: err})
}

type failTransaction struct {
	n   int
	err error

	mu   sync.Mutex
	sent int
}

func (h *failTransaction) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *failTransaction) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

// ProcessPipelineHook wraps plain pipelines too; go-redis opens only a
// transaction's commands with MULTI.
func (h *failTransaction) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || cmds[0].Name() != "multi" || !h.fails() {
			return next(ctx, cmds)
		}
		for _, cmd := range cmds {
			cmd.SetErr(h.err)
		}
		return h.err
	}
}

// fails counts a transaction and says whether it is the nth.
func (h *failTransaction) fails() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent++
	return h.sent == h.n
}
