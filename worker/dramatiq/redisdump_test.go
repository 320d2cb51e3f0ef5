package dramatiq

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/compactjson"
)

// update rewrites the golden files from what the code writes now; review
// the diff before committing it.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// entry is one Redis key in a dump: its type and its contents, as JSON
// shows them plainly (a list, a hash, a set as a sorted list, a sorted set
// as member -> score).
type entry struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// dump reads every key of rdb's database.
func dump(t testing.TB, rdb *redis.Client) map[string]entry {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]entry, len(keys))
	for _, key := range keys {
		typ, err := rdb.Type(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		var value any
		switch typ {
		case "string":
			value, err = rdb.Get(ctx, key).Result()
		case "list":
			value, err = rdb.LRange(ctx, key, 0, -1).Result()
		case "hash":
			value, err = rdb.HGetAll(ctx, key).Result()
		case "set":
			var members []string
			members, err = rdb.SMembers(ctx, key).Result()
			slices.Sort(members)
			value = members
		case "zset":
			var zs []redis.Z
			zs, err = rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
			scores := map[string]float64{}
			for _, z := range zs {
				scores[z.Member.(string)] = z.Score
			}
			value = scores
		default:
			t.Fatalf("dump: key %s has type %s, which no Dramatiq key has", key, typ)
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, err := compactjson.Marshal(value)
		if err != nil {
			t.Fatal(err)
		}
		out[key] = entry{Type: typ, Value: raw}
	}
	return out
}

// load writes a dump into rdb's database.
func load(t testing.TB, rdb *redis.Client, d map[string]entry) {
	t.Helper()
	ctx := context.Background()
	for key, e := range d {
		var err error
		switch e.Type {
		case "string":
			var v string
			if err = json.Unmarshal(e.Value, &v); err == nil {
				err = rdb.Set(ctx, key, v, 0).Err()
			}
		case "list":
			var v []string
			if err = json.Unmarshal(e.Value, &v); err == nil {
				err = rdb.RPush(ctx, key, toAny(v)...).Err()
			}
		case "hash":
			var v map[string]string
			if err = json.Unmarshal(e.Value, &v); err == nil {
				err = rdb.HSet(ctx, key, v).Err()
			}
		case "set":
			var v []string
			if err = json.Unmarshal(e.Value, &v); err == nil {
				err = rdb.SAdd(ctx, key, toAny(v)...).Err()
			}
		case "zset":
			var v map[string]float64
			if err = json.Unmarshal(e.Value, &v); err == nil {
				for member, score := range v {
					if err = rdb.ZAdd(ctx, key, redis.Z{Member: member, Score: score}).Err(); err != nil {
						break
					}
				}
			}
		default:
			err = fmt.Errorf("unknown type %q", e.Type)
		}
		if err != nil {
			t.Fatalf("load %s: %v", key, err)
		}
	}
}

func toAny(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// readJSON decodes a testdata file into v.
func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// writeJSON writes v to a testdata file, indented and with <, > and & as
// they are, for review.
func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
