package redistest_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/redistest"
)

func TestStartServesOnLoopback(t *testing.T) {
	url := redistest.Start(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %q: %v", url, err)
	}
	if host, _, _ := net.SplitHostPort(opts.Addr); host != "127.0.0.1" {
		t.Errorf("server address = %s, want a 127.0.0.1 address", opts.Addr)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })

	ctx := context.Background()
	if err := rdb.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := rdb.Get(ctx, "greeting").Result(); err != nil || got != "hello" {
		t.Errorf("GET greeting = %q, %v; want \"hello\"", got, err)
	}
	// No persistence: a leftover dump.rdb in the working directory would
	// otherwise leak data between runs.
	cfg, err := rdb.ConfigGet(ctx, "save").Result()
	if err != nil {
		t.Fatalf("CONFIG GET save: %v", err)
	}
	if cfg["save"] != "" {
		t.Errorf("save = %q, want snapshots off", cfg["save"])
	}
}

func TestStartGivesEachTestItsOwnServer(t *testing.T) {
	first, second := redistest.Start(t), redistest.Start(t)
	if first == second {
		t.Fatalf("both servers at %s, want two servers", first)
	}
	ctx := context.Background()
	a := client(t, first)
	b := client(t, second)
	if err := a.Set(ctx, "only-in-first", "1", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if n, err := b.Exists(ctx, "only-in-first").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS on the second server = %d, %v; want 0", n, err)
	}
}

func TestStartStopsTheServerWhenTheTestEnds(t *testing.T) {
	var addr string
	t.Run("uses a server", func(t *testing.T) {
		opts, err := redis.ParseURL(redistest.Start(t))
		if err != nil {
			t.Fatal(err)
		}
		addr = opts.Addr
	})
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after its test ended", addr)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("dial %s after the test: %v, want connection refused", addr, err)
	}
}

func client(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %q: %v", url, err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func TestStartWithPasswordRequiresIt(t *testing.T) {
	url := redistest.Start(t, redistest.WithPassword("s3cret-pw"))
	if !strings.HasPrefix(url, "redis://:s3cret-pw@127.0.0.1:") {
		t.Fatalf("URL = %q, want it to carry the password", url)
	}
	ctx := context.Background()
	if err := client(t, url).Ping(ctx).Err(); err != nil {
		t.Errorf("PING with the password: %v", err)
	}
	bare := strings.Replace(url, ":s3cret-pw@", "", 1)
	if err := client(t, bare).Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("PING without the password = %v, want NOAUTH", err)
	}
}

func TestClientReachesItsOwnServer(t *testing.T) {
	first, second := redistest.Client(t), redistest.Client(t)
	ctx := context.Background()
	if err := first.Set(ctx, "k", "first", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := second.Exists(ctx, "k").Result(); err != nil || got != 0 {
		t.Errorf("the second client sees %d keys named k (%v), want none: each Client gets a server of its own", got, err)
	}
	opts, err := redis.ParseURL(redistest.URL(first))
	if err != nil {
		t.Fatal(err)
	}
	again := redis.NewClient(opts)
	defer again.Close()
	if got, err := again.Get(ctx, "k").Result(); err != nil || got != "first" {
		t.Errorf("a client of URL(first) read %q (%v), want %q", got, err, "first")
	}
}
