package redistest

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Client starts a redis-server as Start does and returns a go-redis client
// of it, closed when the test ends: what nearly every caller of Start wants.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(Start(tb))
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// URL returns the URL of rdb's server and database, for a worker or a Python
// process that must reach the same data.
func URL(rdb *redis.Client) string {
	return fmt.Sprintf("redis://%s/%d", rdb.Options().Addr, rdb.Options().DB)
}
