package redisenv

import (
	"context"
	"slices"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/redistest"
)

// TestDropClientsLeavesLeakspecsOwnAndOtherDatabases: of a worker's
// connection, two of leakspec's own (the one that asks, which Redis would
// spare anyway, and another of its pool) and one on another database (a
// parallel suite process's), only the worker's is closed, and the worker's
// client gets a new connection when it next asks.
func TestDropClientsLeavesLeakspecsOwnAndOtherDatabases(t *testing.T) {
	ctx := context.Background()
	server, err := goredis.ParseURL(redistest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	client := func(db int, name string) *goredis.Client {
		rdb := goredis.NewClient(&goredis.Options{Addr: server.Addr, DB: db, ClientName: name})
		t.Cleanup(func() { _ = rdb.Close() })
		return rdb
	}
	own := client(0, ClientName)
	sibling := client(0, ClientName)
	worker := client(0, "rq:worker:1")
	neighbour := client(1, "")
	ids := func() []int64 {
		var got []int64
		for _, rdb := range []*goredis.Client{own, sibling, worker, neighbour} {
			id, err := rdb.ClientID(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		return got
	}
	before := ids()

	n, err := DropClients(ctx, own)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("DropClients closed %d connections, want 1, the worker's", n)
	}
	after := ids()
	if after[0] != before[0] || after[1] != before[1] || after[3] != before[3] {
		t.Errorf("leakspec's own or another database's connection was closed: ids %v, then %v", before, after)
	}
	if after[2] == before[2] {
		t.Errorf("the worker's connection %d was not closed", before[2])
	}
	list, err := own.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range parseClientList(list) {
		if c.id == before[2] {
			t.Errorf("client %d is still listed: %s", c.id, list)
		}
	}
}

func TestParseClientList(t *testing.T) {
	// Two lines of Redis 7's CLIENT LIST.
	list := "id=3 addr=127.0.0.1:50610 laddr=127.0.0.1:6379 fd=8 name=leakspec age=2 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=22298 events=r cmd=client|list user=default redir=-1 resp=2\n" +
		"id=7 addr=127.0.0.1:50622 laddr=127.0.0.1:6379 fd=9 name= age=1 idle=1 flags=N db=2 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1928 events=r cmd=blpop user=default redir=-1 resp=2\n"
	want := []clientInfo{{id: 3, name: "leakspec", db: 0}, {id: 7, name: "", db: 2}}
	if got := parseClientList(list); !slices.Equal(got, want) {
		t.Errorf("parseClientList = %+v, want %+v", got, want)
	}
}
