// Package bytesize parses and prints memory sizes.
//
// Inside leakspec every size is a uint64 count of bytes; this package is the
// only place where people's units ("128MB", "64MiB", "1.5GiB") are turned into
// bytes and back. Decimal units (kB, MB, GB) are powers of 1000 and binary
// units (KiB, MiB, GiB) powers of 1024, exactly as their names say, so "MB"
// in a failure message means 1,000,000 bytes.
package bytesize

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Units in bytes.
const (
	B   uint64 = 1
	KB  uint64 = 1000
	MB  uint64 = 1000 * KB
	GB  uint64 = 1000 * MB
	TB  uint64 = 1000 * GB
	KiB uint64 = 1024
	MiB uint64 = 1024 * KiB
	GiB uint64 = 1024 * MiB
	TiB uint64 = 1024 * GiB
)

// units maps every accepted spelling to its size. Lower-case "kb" is accepted
// because kernels and tools write "kB"; "mb" is not, because "mb" (millibit)
// is never meant and a typo should not silently pass.
var units = map[string]uint64{
	"B":   B,
	"kB":  KB,
	"KB":  KB,
	"MB":  MB,
	"GB":  GB,
	"TB":  TB,
	"KiB": KiB,
	"MiB": MiB,
	"GiB": GiB,
	"TiB": TiB,
}

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("invalid size")

// Parse reads a size such as "128MB", "64 MiB", "1.5GiB" or "4096B".
// A unit is required: a bare number is ambiguous between bytes and megabytes,
// and guessing wrong would make a budget a million times too strict or loose.
func Parse(s string) (uint64, error) {
	text := strings.TrimSpace(s)
	i := 0
	for i < len(text) && (text[i] >= '0' && text[i] <= '9' || text[i] == '.') {
		i++
	}
	number, unit := text[:i], strings.TrimSpace(text[i:])
	if number == "" {
		return 0, fmt.Errorf("%w %q: it must start with a number, as in 128MB", ErrSyntax, s)
	}
	if unit == "" {
		return 0, fmt.Errorf("%w %q: it needs a unit (B, kB, MB, GB, KiB, MiB, GiB)", ErrSyntax, s)
	}
	scale, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit %q (use B, kB, MB, GB, KiB, MiB or GiB)", ErrSyntax, s, unit)
	}
	value, err := strconv.ParseFloat(number, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %q is not a number", ErrSyntax, s, number)
	}
	bytes := value * float64(scale)
	if bytes >= math.MaxUint64 {
		return 0, fmt.Errorf("%w %q: too large", ErrSyntax, s)
	}
	return uint64(math.Round(bytes)), nil
}

// ToMB returns n bytes as decimal megabytes, the unit of every figure leakspec
// prints.
func ToMB(n uint64) float64 { return float64(n) / float64(MB) }

// Format prints n bytes in megabytes with one decimal, as "166.2 MB".
func Format(n uint64) string { return strconv.FormatFloat(ToMB(n), 'f', 1, 64) + " MB" }

// FormatSigned prints a difference of two sizes with its sign, as "+128.0 MB".
func FormatSigned(d int64) string {
	return fmt.Sprintf("%+.1f MB", float64(d)/float64(MB))
}
