package batch

import (
	"fmt"
	"slices"
	"testing"
)

func TestRanges(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
		limit Limit
		want  [][2]int
	}{
		{"no items", nil, Limit{Items: 3, Bytes: 10}, nil},
		{"fewer than both limits", []int{1, 2, 3}, Limit{Items: 5, Bytes: 10}, [][2]int{{0, 3}}},
		{"exactly the count", []int{1, 1, 1}, Limit{Items: 3, Bytes: 10}, [][2]int{{0, 3}}},
		{"count ends batches", []int{1, 1, 1, 1, 1, 1, 1}, Limit{Items: 3, Bytes: 100}, [][2]int{{0, 3}, {3, 6}, {6, 7}}},
		{"exactly the bytes", []int{4, 6}, Limit{Items: 5, Bytes: 10}, [][2]int{{0, 2}}},
		{"bytes end batches", []int{4, 4, 4, 4, 4}, Limit{Items: 5, Bytes: 10}, [][2]int{{0, 2}, {2, 4}, {4, 5}}},
		{"whichever comes first", []int{1, 1, 1, 9, 2, 1}, Limit{Items: 3, Bytes: 10}, [][2]int{{0, 3}, {3, 4}, {4, 6}}},
		{"an oversized item goes alone", []int{1, 20, 1}, Limit{Items: 5, Bytes: 10}, [][2]int{{0, 1}, {1, 2}, {2, 3}}},
		{"an oversized first item goes alone", []int{20, 1, 1}, Limit{Items: 5, Bytes: 10}, [][2]int{{0, 1}, {1, 3}}},
		{"oversized items in a row", []int{11, 12}, Limit{Items: 5, Bytes: 10}, [][2]int{{0, 1}, {1, 2}}},
		{"empty items count only as items", []int{0, 0, 0, 0}, Limit{Items: 2, Bytes: 1}, [][2]int{{0, 2}, {2, 4}}},
		{"one item a batch", []int{5, 5, 5}, Limit{Items: 1, Bytes: 100}, [][2]int{{0, 1}, {1, 2}, {2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []int
			size := func(i int) int {
				asked = append(asked, i)
				return tt.sizes[i]
			}
			var got [][2]int
			for start, end := range Ranges(len(tt.sizes), tt.limit, size) {
				got = append(got, [2]int{start, end})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Ranges(sizes %v, %+v) = %v, want %v", tt.sizes, tt.limit, got, tt.want)
			}
			if want := indexes(len(tt.sizes)); !slices.Equal(asked, want) {
				t.Errorf("size was called for items %v, want once for each in order, %v", asked, want)
			}
		})
	}
}

func indexes(n int) []int {
	var is []int
	for i := range n {
		is = append(is, i)
	}
	return is
}

func TestRangesStopsWhenTheLoopBreaks(t *testing.T) {
	var asked []int
	size := func(i int) int {
		asked = append(asked, i)
		return 1
	}
	var got [][2]int
	for start, end := range Ranges(10, Limit{Items: 3, Bytes: 100}, size) {
		got = append(got, [2]int{start, end})
		break
	}
	if want := [][2]int{{0, 3}}; !slices.Equal(got, want) {
		t.Errorf("ranges before the break = %v, want %v", got, want)
	}
	// The fourth size is needed to know that the first batch is full.
	if want := []int{0, 1, 2, 3}; !slices.Equal(asked, want) {
		t.Errorf("size was called for items %v, want %v", asked, want)
	}
}

func TestRangesPanicsOnALimitThatHoldsNothing(t *testing.T) {
	for _, limit := range []Limit{{Items: 0, Bytes: 10}, {Items: 3, Bytes: 0}, {Items: -1, Bytes: -1}, {}} {
		t.Run(fmt.Sprintf("%+v", limit), func(t *testing.T) {
			defer func() {
				want := fmt.Sprintf("batch: limit %+v is not positive; a batch must be able to hold an item", limit)
				if got := recover(); got != want {
					t.Errorf("panic = %v, want %q", got, want)
				}
			}()
			Ranges(3, limit, func(int) int { return 1 })
		})
	}
}

func ExampleRanges() {
	// Five messages, one of them larger than a batch may be.
	msgs := []string{"a", "bb", "cccccccccccc", "d", "ee"}
	limit := Limit{Items: 2, Bytes: 8}
	size := func(i int) int { return len(msgs[i]) }
	for start, end := range Ranges(len(msgs), limit, size) {
		fmt.Println(start, end, msgs[start:end])
	}
	// Output:
	// 0 2 [a bb]
	// 2 3 [cccccccccccc]
	// 3 5 [d ee]
}
