package pyrepr_test

import (
	"encoding/json"
	"fmt"

	"github.com/leakspec/leakspec/internal/pyrepr"
)

func Example() {
	for _, n := range []json.Number{"1", "1.0", "1e-5", "1e16", "-0"} {
		text, _ := pyrepr.Number(n)
		fmt.Println(text)
	}
	fmt.Println(pyrepr.Float(0.0001))
	// Output:
	// 1
	// 1.0
	// 1e-05
	// 1e+16
	// 0
	// 0.0001
}
