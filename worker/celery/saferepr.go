package celery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/leakspec/leakspec/internal/pyrepr"
)

// reprMaxSize is Celery's argsrepr_maxsize and kwargsrepr_maxsize: the
// argsrepr and kwargsrepr headers are cut short around this many characters.
const reprMaxSize = 1024

// reprMaxLevels is saferepr's default nesting depth: containers deeper than
// this print as "[...]" or "{...}".
const reprMaxLevels = 3

// tokenKind tells the tokens of celery.utils.saferepr's stream apart.
type tokenKind int

const (
	// tokText is a value's text (a number, None, True, a collapsed
	// container), truncated like any text when the budget runs out.
	tokText tokenKind = iota
	// tokQuoted is a string, quoted when it is printed.
	tokQuoted
	// tokKey is a dict key, printed by a saferepr of its own.
	tokKey
	// tokSep is ", " or ": ", which the budget may cut.
	tokSep
	// tokOpen and tokClose are brackets, which are never cut: once the
	// budget is spent, the brackets still open are closed.
	tokOpen
	tokClose
)

type token struct {
	kind tokenKind
	text string
}

// saferepr returns what celery.utils.saferepr.saferepr(value, maxlen)
// prints for the Python value that json.loads makes of data. Celery's
// producer writes it into the argsrepr and kwargsrepr headers, which the
// worker logs; it differs from repr: strings escape only their quotes,
// containers nested deeper than three levels collapse, and past maxlen
// characters the text ends in ", ..." and the brackets still open. The
// quirks of the cut (where it lands, an unmatched bracket when it lands on
// one) are Celery's own and kept, so that Go's messages read like Python's.
func saferepr(data []byte, maxlen int) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // tells Python's int (1) from its float (1.0)
	var tokens []token
	if err := reprTokens(dec, 0, &tokens); err != nil {
		return "", fmt.Errorf("repr arguments: %w", err)
	}

	var out strings.Builder
	var open []string // the closing brackets of the containers entered
	for _, t := range tokens {
		if maxlen <= 0 {
			// Python has already taken this token from its stream when it
			// finds the budget spent: a bracket it opens is closed below
			// although it was never printed, one it closes is not.
			switch t.kind {
			case tokOpen:
				open = append(open, closing(t.text))
			case tokClose:
				open = open[:len(open)-1]
			}
			out.WriteString(", ...")
			for j := len(open) - 1; j >= 0; j-- {
				out.WriteString(open[j])
			}
			return out.String(), nil
		}
		var text string
		switch t.kind {
		case tokOpen:
			text = t.text
			open = append(open, closing(t.text))
		case tokClose:
			text = t.text
			open = open[:len(open)-1]
		case tokSep:
			text = t.text
		case tokKey:
			text = quoteChars(t.text, maxlen)
		case tokQuoted:
			text = quoteChars(t.text, maxlen)
		case tokText:
			text = truncate(t.text, maxlen)
		}
		out.WriteString(text)
		maxlen -= len([]rune(text))
	}
	return out.String(), nil
}

// reprTokens appends the tokens of the next JSON value in dec, a value at
// the given nesting level, in the order saferepr's stream yields them.
func reprTokens(dec *json.Decoder, level int, tokens *[]token) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		open, end := string(v), closing(string(v))
		if level >= reprMaxLevels {
			// Too deep: the container prints as "[...]", its contents
			// unread by Python and skipped here.
			if err := skipRest(dec); err != nil {
				return err
			}
			*tokens = append(*tokens, token{tokText, open + "..." + end})
			return nil
		}
		*tokens = append(*tokens, token{tokOpen, open})
		for first := true; dec.More(); first = false {
			if !first {
				*tokens = append(*tokens, token{tokSep, ", "})
			}
			if v == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				*tokens = append(*tokens, token{tokKey, key.(string)}, token{tokSep, ": "})
			}
			if err := reprTokens(dec, level+1, tokens); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing bracket
			return err
		}
		*tokens = append(*tokens, token{tokClose, end})
	case string:
		*tokens = append(*tokens, token{tokQuoted, v})
	case json.Number:
		text, err := pyrepr.Number(v)
		if err != nil {
			return err
		}
		*tokens = append(*tokens, token{tokText, text})
	case bool:
		*tokens = append(*tokens, token{tokText, map[bool]string{true: "True", false: "False"}[v]})
	case nil:
		*tokens = append(*tokens, token{tokText, "None"})
	default:
		return fmt.Errorf("unexpected JSON token %v", tok)
	}
	return nil
}

// skipRest reads the rest of a container whose opening bracket was read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}

func closing(open string) string {
	if open == "{" {
		return "}"
	}
	return "]"
}

// truncate is celery.utils.text.truncate: text of maxlen characters or
// more is cut to maxlen, then back to its last space, and gets "...".
func truncate(s string, maxlen int) string {
	r := []rune(s)
	if maxlen <= 0 || len(r) < maxlen {
		return s
	}
	cut := string(r[:maxlen])
	if i := strings.LastIndexByte(cut, ' '); i >= 0 {
		cut = cut[:i]
	}
	return cut + "..."
}

// quoteChars is saferepr's _format_chars for a str: truncated, with only
// its single quotes escaped, between single quotes.
func quoteChars(s string, maxlen int) string {
	return "'" + strings.ReplaceAll(truncate(s, maxlen), "'", `\'`) + "'"
}
