// Package compactjson encodes values the way the Python workers store
// them: compact JSON, one line, with <, > and & left as they are.
//
// Go's json.Marshal escapes those three characters for HTML. Python decodes
// either form the same, but the escaped one makes the messages leakspec
// writes to Redis, and the workers' logs that quote them, harder to read
// and to compare with what the Python libraries write themselves.
package compactjson

import (
	"bytes"
	"encoding/json"
)

// Marshal returns the compact JSON encoding of v without HTML escaping and
// without the newline json.Encoder ends its output with.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
