package rq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leakspec/leakspec/internal/pyrepr"
)

// maxArgRepr is where RQ's description cuts a long argument short.
const maxArgRepr = 75

// callString returns a job's description as RQ 1.13's get_call_string
// prints it, such as "jobs.add(1, 'a', key=None)". The worker logs it for
// every job it starts, so it has to describe what the worker will see: the
// arguments after their trip through JSON, not the Go values. That is why
// it reads the encoded args and kwargs rather than the Go values.
func callString(fn string, argsJSON, kwargsJSON []byte) (string, error) {
	var parts []string
	dec := newDecoder(argsJSON)
	if err := expectDelim(dec, '['); err != nil {
		return "", err
	}
	for dec.More() {
		r, err := reprValue(dec)
		if err != nil {
			return "", err
		}
		parts = append(parts, truncate(r))
	}

	var kwargs []string
	dec = newDecoder(kwargsJSON)
	if err := expectDelim(dec, '{'); err != nil {
		return "", err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", err
		}
		r, err := reprValue(dec)
		if err != nil {
			return "", err
		}
		kwargs = append(kwargs, fmt.Sprintf("%s=%s", key, truncate(r)))
	}
	// Python sorts the "key=value" strings by code point, which is the
	// byte order of their UTF-8.
	slices.Sort(kwargs)
	parts = append(parts, kwargs...)
	return fn + "(" + strings.Join(parts, ", ") + ")", nil
}

func newDecoder(data []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // tells Python's int (1) from its float (1.0)
	return dec
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("read JSON: got %v, want %v", tok, want)
	}
	return nil
}

// reprValue reads one JSON value from dec and returns Python's repr of what
// json.loads makes of it. It walks tokens instead of decoding into a map
// because a Python dict keeps the order of the document.
func reprValue(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok := tok.(type) {
	case nil:
		return "None", nil
	case bool:
		if tok {
			return "True", nil
		}
		return "False", nil
	case string:
		return reprString(tok), nil
	case json.Number:
		return pyrepr.Number(tok)
	case json.Delim:
		var items []string
		for dec.More() {
			var item string
			if tok == '{' {
				key, err := dec.Token()
				if err != nil {
					return "", err
				}
				item = reprString(key.(string)) + ": "
			}
			value, err := reprValue(dec)
			if err != nil {
				return "", err
			}
			items = append(items, item+value)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return "", err
		}
		if tok == '{' {
			return "{" + strings.Join(items, ", ") + "}", nil
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	}
	return "", fmt.Errorf("read JSON: unexpected token %v", tok)
}

// reprString is Python 3's repr of a str: single quotes unless the text has
// a single quote and no double one, backslash escapes for the quote, the
// backslash and the characters Python cannot print.
func reprString(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < utf8.RuneSelf || unicode.IsPrint(r):
			// Go's IsPrint and Python's isprintable agree: letters, marks,
			// numbers, punctuation, symbols and the ASCII space.
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

// truncate is RQ's truncate_long_string: at most maxArgRepr characters,
// then "...".
func truncate(s string) string {
	if utf8.RuneCountInString(s) <= maxArgRepr {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxArgRepr]) + "..."
}
