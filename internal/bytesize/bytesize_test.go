package bytesize

import (
	"errors"
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"128MB", 128_000_000},
		{"64MiB", 64 << 20},
		{"1.5GiB", 3 << 29},
		{"4GiB", 4 << 30},
		{" 16 MB ", 16_000_000},
		{"512kB", 512_000},
		{"512KB", 512_000},
		{"4096B", 4096},
		{"0B", 0},
		{"2TB", 2_000_000_000_000},
		{"0.5KiB", 512},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"12 MBs":                  `invalid size "12 MBs": unknown unit "MBs" (use B, kB, MB, GB, KiB, MiB or GiB)`,
		"12mb":                    `invalid size "12mb": unknown unit "mb" (use B, kB, MB, GB, KiB, MiB or GiB)`,
		"128":                     `invalid size "128": it needs a unit (B, kB, MB, GB, KiB, MiB, GiB)`,
		"":                        `invalid size "": it must start with a number, as in 128MB`,
		"MB":                      `invalid size "MB": it must start with a number, as in 128MB`,
		"-5MB":                    `invalid size "-5MB": it must start with a number, as in 128MB`,
		"1.2.3MB":                 `invalid size "1.2.3MB": "1.2.3" is not a number`,
		"1e30TiB":                 `invalid size "1e30TiB": unknown unit "e30TiB" (use B, kB, MB, GB, KiB, MiB or GiB)`,
		"99999999999999999999TiB": `invalid size "99999999999999999999TiB": too large`,
	} {
		_, err := Parse(in)
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error = %v, want %s", in, err, want)
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error does not wrap ErrSyntax", in)
		}
	}
}

func TestFormat(t *testing.T) {
	if got := Format(166_249_999); got != "166.2 MB" {
		t.Errorf("Format = %q", got)
	}
	if got := FormatSigned(-1_250_000); got != "-1.2 MB" {
		t.Errorf("FormatSigned = %q", got)
	}
	if got := FormatSigned(128 << 20); got != "+134.2 MB" {
		t.Errorf("FormatSigned = %q", got)
	}
}

func ExampleParse() {
	n, _ := Parse("1.5GiB")
	fmt.Println(n, Format(n))
	// Output: 1610612736 1610.6 MB
}
