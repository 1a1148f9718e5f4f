package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dxplabs/dxp/internal/atomicfile"
)

// MaxIdempotencyKey bounds an Idempotency-Key header.
const MaxIdempotencyKey = 128

// idempotency remembers the response to each write sent with an Idempotency-Key, per token, on
// disk (HOME/gateway/idempotency/), so a retry, even after a restart, is answered from the record
// instead of acting twice. The record is named by the SHA-256 of the token's name and the key, so
// neither appears in a file name.
type idempotency struct {
	dir string

	mu    sync.Mutex
	locks map[string]*recordLock // one per record in use: concurrent retries wait
}

// recordLock serialises the requests under one record; it is dropped when none holds or waits
// for it, so the map does not grow with every key ever used.
type recordLock struct {
	sync.Mutex
	users int
}

// idempotentRecord is one remembered response.
type idempotentRecord struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	BodySHA256  string `json:"body_sha256"`
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

func newIdempotency(dir string) (*idempotency, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &idempotency{dir: dir, locks: map[string]*recordLock{}}, nil
}

func (s *idempotency) name(token, key string) string {
	h := sha256.Sum256([]byte(token + "\x00" + key))
	return hex.EncodeToString(h[:])
}

func (s *idempotency) lock(name string) func() {
	s.mu.Lock()
	l := s.locks[name]
	if l == nil {
		l = &recordLock{}
		s.locks[name] = l
	}
	l.users++
	s.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, name)
		}
		s.mu.Unlock()
	}
}

// load reads a record; one older than idempotencyTTL is no record (sweep removes it).
func (s *idempotency) load(name string) (*idempotentRecord, error) {
	path := filepath.Join(s.dir, name+".json")
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if expired(info.ModTime(), time.Now(), idempotencyTTL) {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec idempotentRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("idempotency record %s is corrupt: %w", name, err)
	}
	return &rec, nil
}

func (s *idempotency) save(name string, rec *idempotentRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.dir, name+".json"), b, 0o600)
}

// recorder keeps what a handler wrote, to store it and send it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// bodyDigest is the hex SHA-256 of a request body, which an idempotency record compares.
func bodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// wrap runs a write at most once per (token, Idempotency-Key): digest is the bodyDigest of the
// request body the handler acts on. A retry with the same method, path and body gets the stored
// response with Idempotent-Replayed: true; another request under the same key gets 422 and
// nothing is done. A response with a 5xx status is not stored, so the retry runs again.
func (s *idempotency) wrap(w http.ResponseWriter, r *http.Request, p principal, digest string, next func(http.ResponseWriter)) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		next(w)
		return
	}
	if len(key) > MaxIdempotencyKey || !printable(key) {
		writeProblem(w, r, badRequest(fmt.Sprintf("Idempotency-Key must be 1 to %d printable characters", MaxIdempotencyKey)))
		return
	}
	name := s.name(p.name, key)
	defer s.lock(name)()
	rec, err := s.load(name)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if rec != nil {
		if rec.Method != r.Method || rec.Path != r.URL.Path || rec.BodySHA256 != digest {
			writeProblem(w, r, invalid("this Idempotency-Key was used for another request; use a new key for a new request"))
			return
		}
		w.Header().Set("Content-Type", rec.ContentType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(rec.Status)
		w.Write(rec.Body)
		return
	}
	rw := &recorder{header: http.Header{}}
	next(rw)
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	if rw.status < 500 {
		rec := &idempotentRecord{Method: r.Method, Path: r.URL.Path, BodySHA256: digest, Status: rw.status,
			ContentType: rw.header.Get("Content-Type"), Body: rw.body.Bytes()}
		if err := s.save(name, rec); err != nil {
			// The write is done; the retry would act again, so say so rather than pretend.
			rw.header.Set("Idempotency-Warning", "the response could not be stored; do not retry this key")
		}
	}
	for k, v := range rw.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rw.status)
	w.Write(rw.body.Bytes())
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
