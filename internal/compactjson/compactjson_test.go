package compactjson

import (
	"fmt"
	"testing"
)

func TestMarshalKeepsHTMLCharactersAndHasNoNewline(t *testing.T) {
	got, err := Marshal(map[string]any{"args": []any{"<a & b>", 1.5}, "kwargs": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"args":["<a & b>",1.5],"kwargs":{}}`; string(got) != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("Marshal encoded a func")
	}
}

func ExampleMarshal() {
	data, _ := Marshal([]any{"select * from t where a < b", nil})
	fmt.Println(string(data))
	// Output: ["select * from t where a < b",null]
}
