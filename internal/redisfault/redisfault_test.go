package redisfault_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/redisfault"
	"github.com/leakspec/leakspec/internal/redistest"
)

func TestFailTransactionFailsOnlyTheNth(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	lost := errors.New("connection reset")
	redisfault.FailTransaction(rdb, 2, lost)

	push := func(v string) error {
		_, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.RPush(ctx, "list", v)
			return nil
		})
		return err
	}
	if err := push("first"); err != nil {
		t.Fatalf("first transaction: %v", err)
	}
	// Neither a plain command nor a plain pipeline counts as a transaction.
	if err := rdb.RPush(ctx, "list", "plain").Err(); err != nil {
		t.Fatalf("plain RPUSH: %v", err)
	}
	if _, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.RPush(ctx, "list", "pipelined")
		return nil
	}); err != nil {
		t.Fatalf("plain pipeline: %v", err)
	}
	if err := push("second"); !errors.Is(err, lost) {
		t.Fatalf("second transaction: %v, want %v", err, lost)
	}
	if err := push("third"); err != nil {
		t.Fatalf("third transaction: %v", err)
	}
	got, err := rdb.LRange(ctx, "list", 0, -1).Result()
	if want := []string{"first", "plain", "pipelined", "third"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("list = %q, %v; want %q", got, err, want)
	}
}
