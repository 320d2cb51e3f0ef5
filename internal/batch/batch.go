// Package batch cuts a run of items into consecutive batches that respect
// two limits at once: how many items one batch holds, and how many bytes.
//
// leakspec's queue adapters write many jobs to Redis as one transaction
// (MULTI … EXEC) per batch. With too few items per transaction the round
// trips dominate; with too many bytes in one, the EXEC, which the server
// runs without serving any other client, stalls the very workers that wait
// for the jobs. A count alone cannot prevent the second when the items are
// large, so Ranges counts both and ends a batch at whichever limit comes
// first:
//
//	size := func(i int) int { return len(msgs[i]) }
//	for start, end := range batch.Ranges(len(msgs), batch.RedisTransaction, size) {
//		if err := push(msgs[start:end]); err != nil {
//			return fmt.Errorf("send messages %d to %d: %w", start+1, end, err)
//		}
//	}
//
// The batches keep the items' order and cover every item exactly once; an
// item is never split or skipped. One larger than the byte limit on its own
// therefore makes a batch of one: it has to go somewhere, and alone it holds
// up nothing else. Ranges only does the arithmetic; what a batch means, and
// what an item's size is, is its caller's business.
package batch

import (
	"fmt"
	"iter"
)

// Limit bounds one batch. Both fields must be positive.
type Limit struct {
	// Items is how many items a batch holds at most.
	Items int
	// Bytes is how many bytes the items of a batch add up to at most,
	// unless a single item is larger.
	Bytes int
}

// RedisTransaction bounds one transaction of a bulk write to Redis: 500
// items are enough that round trips stop mattering, and 8 MiB is little
// enough that one EXEC ends within milliseconds even when the items are
// large.
var RedisTransaction = Limit{Items: 500, Bytes: 8 << 20}

// Ranges returns the batches of n items as half-open ranges [start, end) of
// their indexes, in order. size(i) is the size in bytes of item i; Ranges
// calls it once per item, in order, as the iteration reaches the item. A
// batch ends before the item that would take it past limit.Items items or
// limit.Bytes bytes, so every batch is within both limits except one that
// holds a single item larger than limit.Bytes. Ranges panics if a field of
// limit is not positive.
func Ranges(n int, limit Limit, size func(i int) int) iter.Seq2[int, int] {
	if limit.Items < 1 || limit.Bytes < 1 {
		panic(fmt.Sprintf("batch: limit %+v is not positive; a batch must be able to hold an item", limit))
	}
	return func(yield func(start, end int) bool) {
		start, bytes := 0, 0
		for i := range n {
			s := size(i)
			if i > start && (i-start == limit.Items || bytes+s > limit.Bytes) {
				if !yield(start, i) {
					return
				}
				start, bytes = i, 0
			}
			bytes += s
		}
		if start < n {
			yield(start, n)
		}
	}
}
