package redisenv

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// ClientName is the name leakspec's own connections give themselves
// (CLIENT SETNAME), so that DropClients can tell them from a worker's.
const ClientName = "leakspec"

// DropClients closes every connection to rdb's server that is on rdb's
// database and is not leakspec's own (named ClientName), as a broker
// restart or a network blip would, and returns how many it closed. Parallel
// suite processes that share one server each have a database of their own
// (WithDatabase), so one process never drops another's workers.
func DropClients(ctx context.Context, rdb *goredis.Client) (int, error) {
	list, err := rdb.ClientList(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("drop redis clients: %w", err)
	}
	db := rdb.Options().DB
	dropped := 0
	for _, c := range parseClientList(list) {
		if c.name == ClientName || c.db != db {
			continue
		}
		// A client that closed since the list is no error: it is gone.
		n, err := rdb.ClientKillByFilter(ctx, "ID", strconv.FormatInt(c.id, 10)).Result()
		if err != nil {
			return dropped, fmt.Errorf("drop redis client %d: %w", c.id, err)
		}
		dropped += int(n)
	}
	return dropped, nil
}

// clientInfo is what DropClients reads of one line of CLIENT LIST.
type clientInfo struct {
	id   int64
	name string
	db   int
}

// parseClientList reads CLIENT LIST's reply: a line per connection of
// space-separated key=value fields, "id=3 addr=127.0.0.1:50610 ... name=
// db=0 ...". A line without an id is left out.
func parseClientList(list string) []clientInfo {
	var clients []clientInfo
	for line := range strings.Lines(list) {
		c := clientInfo{id: -1}
		for field := range strings.FieldsSeq(line) {
			key, value, _ := strings.Cut(field, "=")
			switch key {
			case "id":
				c.id, _ = strconv.ParseInt(value, 10, 64)
			case "name":
				c.name = value
			case "db":
				c.db, _ = strconv.Atoi(value)
			}
		}
		if c.id >= 0 {
			clients = append(clients, c)
		}
	}
	return clients
}
