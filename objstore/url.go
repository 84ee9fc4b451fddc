package objstore

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// location is a parsed object URL.
type location struct {
	scheme string // "file", "mem", "s3", "http", "https"
	bucket string // s3 and mem bucket; http(s) scheme://host; "" for file
	key    string // object key; for file an absolute slash path; for http(s) the URL
	raw    string // the URL as given
}

// parseURL splits raw into backend, bucket and key. A string without "://"
// is a local path (relative paths resolve against the working directory).
// needKey requires a non-empty key (every call but List).
func parseURL(raw string, needKey bool) (location, error) {
	bad := func(why string) (location, error) {
		return location{}, fmt.Errorf("%w: %q: %s", ErrInvalidURL, raw, why)
	}
	if raw == "" {
		return bad("empty")
	}
	if strings.ContainsRune(raw, 0) {
		return bad("contains NUL")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		p, err := filepath.Abs(raw)
		if err != nil {
			return bad(err.Error())
		}
		key := filepath.ToSlash(p)
		if strings.HasSuffix(raw, "/") && !strings.HasSuffix(key, "/") {
			key += "/"
		}
		return location{scheme: "file", key: key, raw: raw}, nil
	}
	switch strings.ToLower(scheme) {
	case "file":
		host, path, _ := strings.Cut(rest, "/")
		if host != "" && host != "localhost" {
			return bad("file URL with a remote host")
		}
		path = "/" + path
		if u, err := url.PathUnescape(path); err == nil {
			path = u
		}
		if path == "/" && needKey {
			return bad("no path")
		}
		return location{scheme: "file", key: path, raw: raw}, nil
	case "s3", "mem":
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return bad("no bucket")
		}
		if needKey && key == "" {
			return bad("no key")
		}
		return location{scheme: strings.ToLower(scheme), bucket: bucket, key: key, raw: raw}, nil
	case "http", "https":
		u, err := url.Parse(raw)
		if err != nil {
			return bad(err.Error())
		}
		if u.Host == "" {
			return bad("no host")
		}
		return location{scheme: strings.ToLower(scheme), bucket: strings.ToLower(scheme) + "://" + u.Host, key: raw, raw: raw}, nil
	}
	return location{}, fmt.Errorf("%w: scheme %q in %q", ErrUnsupported, scheme, raw)
}

// extOf returns the lower-case extension of a key or URL ("" if none),
// ignoring any query string.
func extOf(key string) string {
	if i := strings.IndexAny(key, "?#"); i >= 0 {
		key = key[:i]
	}
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		key = key[i+1:]
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return strings.ToLower(key[i:])
	}
	return ""
}
