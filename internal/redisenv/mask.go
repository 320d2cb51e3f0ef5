package redisenv

import "strings"

// MaskURL returns a URL with its password replaced by ***, as in
// redis://:***@127.0.0.1:6379, for logs, reports and error messages. It works
// on text that does not parse as a URL too, because a malformed URL is
// exactly the kind that ends up in an error message.
//
// Everything between the scheme and the last @ is taken as user information,
// and whatever follows the first colon in it is masked. A URL whose path holds
// an @ is thus masked more than needed, never less.
func MaskURL(rawURL string) string {
	start := 0
	if i := strings.Index(rawURL, "://"); i >= 0 {
		start = i + len("://")
	}
	at := strings.LastIndexByte(rawURL[start:], '@')
	if at < 0 {
		return rawURL
	}
	at += start
	colon := strings.IndexByte(rawURL[start:at], ':')
	if colon < 0 {
		// A user name alone: Redis clients send no password then.
		return rawURL
	}
	return rawURL[:start+colon] + ":***" + rawURL[at:]
}
