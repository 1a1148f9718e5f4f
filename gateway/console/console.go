package console

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// asset is one embedded file, read once at start: the files are small, and serving them from
// memory with a precomputed ETag makes every revalidation a cheap 304.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes are set explicitly, not sniffed or taken from the OS's MIME table: a browser
// refuses an ES module served as anything but JavaScript, and the table differs between hosts.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// securityPolicy lets the page load only its own files and talk only to its own origin: the
// console handles tokens, so no script, style or connection may come from anywhere else, and
// no other site may frame it.
const securityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type handler struct {
	assets map[string]asset // by URL path: "/" and "/app.js", ...
}

// Handler serves the console's files: GET or HEAD of "/" (index.html), "/app.js", "/style.css"
// and "/favicon.svg". Any other path is 404 and any other method 405. Every response carries an
// ETag and "Cache-Control: no-cache" (the browser revalidates, and gets a 304 while the binary is
// the same), and a Content-Security-Policy that keeps the page to its own origin.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time; a failure here is a build defect
	}
	h := &handler{assets: map[string]asset{}}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil // nothing the console links to; not served
		}
		sum := sha256.Sum256(body)
		a := asset{body: body, contentType: ct, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
		h.assets["/"+name] = a
		if name == "index.html" {
			h.assets["/"] = a
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.URL.Path]
	if !ok {
		http.Error(w, "No such page: the console is at /.", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "The console's files are read with GET.", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Security-Policy", securityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(a.body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(a.body) //nolint:errcheck // the client went away; nothing to do
}

// etagMatches reports whether an If-None-Match header names etag (or is "*").
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
