package gateway

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dxplabs/dxp/gateway/api"
)

// What the gateway keeps on disk for a client, and for how long. An idempotency record answers
// retries for a day (as Stripe's and the IETF draft's keys do): a client retries within minutes,
// and without a bound every keyed write would leave a file forever. An upload is a CSV of up to
// MaxUpload bytes waiting for its publish: it goes once the publish that used it is done, or a
// day after it was made if no job under way needs it, so uploads cannot fill the disk (and one
// still arriving, a staging file, an hour after its last byte). Job and
// computation records stay: they are the owners' and buyers' history.
const (
	idempotencyTTL = 24 * time.Hour
	uploadTTL      = 24 * time.Hour
	// sweepEvery is how often the gateway removes what expired (and once at start).
	sweepEvery = time.Hour
)

// expired reports whether a file last written at mod has outlived ttl at now.
func expired(mod, now time.Time, ttl time.Duration) bool { return now.Sub(mod) > ttl }

// sweep removes the idempotency records and uploads that expired at now. It logs what it cannot
// remove: the next sweep tries again.
func (s *Server) sweep(now time.Time) {
	s.idem.sweep(now, s.cfg.Logger.Error)
	s.jobs.sweepUploads(now)
}

func (s *idempotency) sweep(now time.Time, logErr func(string, ...any)) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		logErr("sweep the idempotency records", "err", err)
		return
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil || !expired(info.ModTime(), now, idempotencyTTL) {
			continue
		}
		unlock := s.lock(name) // not while a retry of it is being answered
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !os.IsNotExist(err) {
			logErr("remove an expired idempotency record", "err", err)
		}
		unlock()
	}
}

// sweepUploads removes the uploads made more than uploadTTL before now that no queued or
// running job needs.
func (j *jobs) sweepUploads(now time.Time) {
	needed := map[string]bool{}
	j.mu.Lock()
	for _, jb := range j.byID {
		jb.mu.Lock()
		if jb.rec.State == api.JobQueued || jb.rec.State == api.JobRunning {
			needed[jb.rec.Request.Upload] = true
		}
		jb.mu.Unlock()
	}
	j.mu.Unlock()
	entries, err := os.ReadDir(j.uploads)
	if err != nil {
		j.s.cfg.Logger.Error("sweep the uploads", "err", err)
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), stagingPrefix) {
			// An upload that stopped arriving an hour ago: its request (or its gateway) died.
			if info, err := e.Info(); err == nil && expired(info.ModTime(), now, time.Hour) {
				os.Remove(filepath.Join(j.uploads, e.Name()))
			}
			continue
		}
		if id, ok := strings.CutSuffix(e.Name(), ".csv"); ok {
			// A CSV whose record was never written (its gateway died between the two): the
			// record's own sweep never sees it.
			if _, err := os.Stat(filepath.Join(j.uploads, id+".json")); os.IsNotExist(err) {
				if info, err := e.Info(); err == nil && expired(info.ModTime(), now, uploadTTL) {
					j.removeUpload(id)
				}
			}
			continue
		}
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || needed[id] {
			continue
		}
		b, err := os.ReadFile(filepath.Join(j.uploads, e.Name()))
		if err != nil {
			continue
		}
		var rec uploadRecord
		if json.Unmarshal(b, &rec) == nil && !expired(rec.Created, now, uploadTTL) {
			continue
		}
		j.removeUpload(id) // expired, or a record too damaged to say when it was made
	}
}

// removeUpload removes an upload's CSV, then its record (so a half-removed upload is a record
// without a CSV, which a publish refuses, and the next sweep finishes it).
func (j *jobs) removeUpload(id string) {
	for _, f := range []string{id + ".csv", id + ".json"} {
		if err := os.Remove(filepath.Join(j.uploads, f)); err != nil && !os.IsNotExist(err) {
			j.s.cfg.Logger.Error("remove an upload", "upload", id, "err", err)
		}
	}
}
