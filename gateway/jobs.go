package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/marketplace"
)

// jobs runs publish jobs and keeps them on disk (HOME/gateway/jobs/ID.json), so a job under way
// when the gateway stops is resumed at the next start: the publish journal in the owner's home
// makes the rerun reuse every chunk already proven and uploaded. Uploads wait in
// HOME/gateway/uploads/ (0600).
type jobs struct {
	s       *Server
	dir     string
	uploads string
	slots   chan struct{} // one per publish allowed to run at once

	mu   sync.Mutex
	byID map[string]*job
}

// job is one job: its record (what is on disk) and its event stream.
type job struct {
	mu  sync.Mutex
	rec jobRecord
	log *eventLog
}

// jobRecord is a job as kept on disk: the job, who started it and what it was asked.
type jobRecord struct {
	api.Job
	Token   string             `json:"token"` // the name of the token that started it
	Request api.PublishRequest `json:"request"`
}

// uploadRecord is an upload's metadata beside its CSV.
type uploadRecord struct {
	api.Upload
	Token   string    `json:"token"`
	Created time.Time `json:"created"`
}

func newJobs(s *Server, dir, uploads string) (*jobs, error) {
	for _, d := range []string{dir, uploads} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	j := &jobs{s: s, dir: dir, uploads: uploads, slots: make(chan struct{}, s.cfg.PublishWorkers), byID: map[string]*job{}}
	recs, err := readRecords[jobRecord](dir, "job")
	if err != nil {
		return nil, err
	}
	for id, rec := range recs {
		jb := &job{rec: rec, log: newEventLog()}
		switch rec.State {
		case api.JobDone:
			jb.log.append("done", rec.Job)
		case api.JobFailed:
			jb.log.append("failed", rec.Job)
		default:
			jb.log.append("progress", rec.Progress)
		}
		j.byID[id] = jb
	}
	return j, nil
}

// resume starts every job a previous gateway left queued or running.
func (j *jobs) resume() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, jb := range j.byID {
		if jb.rec.State == api.JobQueued || jb.rec.State == api.JobRunning {
			j.start(jb)
		}
	}
}

func (j *jobs) save(rec *jobRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(j.dir, rec.ID+".json"), b, 0o600)
}

// saveLogged saves a record from background work, where a failure has no request to answer:
// it is logged (the job goes on; a restart would find its last saved state).
func (j *jobs) saveLogged(rec *jobRecord) {
	if err := j.save(rec); err != nil {
		j.s.cfg.Logger.Error("save a publish job", "job", rec.ID, "err", err)
	}
}

func randomID(prefix string) (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// uploadStream is POST /uploads: it stores a CSV for a later publish. The body goes to a staging
// file in the uploads directory as it arrives, hashed on the way, so an upload of up to MaxUpload
// bytes costs the gateway a buffer, not its size in memory; the idempotency record compares the
// digest. The staging file becomes the upload once the CSV checks out, and is removed otherwise.
func (s *Server) uploadStream(w http.ResponseWriter, r *http.Request, p principal) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "text/csv" {
		writeProblem(w, r, &problemError{http.StatusUnsupportedMediaType, "unsupported-media-type", "an upload is a CSV sent as Content-Type: text/csv"})
		return
	}
	staging, err := os.CreateTemp(s.jobs.uploads, stagingPrefix+"*")
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	defer os.Remove(staging.Name()) // a no-op once it became the upload
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(staging, h), http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload))
	if err == nil {
		err = staging.Sync()
	}
	if cerr := staging.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblem(w, r, tooLarge(fmt.Sprintf("the request body is larger than %d bytes", s.cfg.MaxUpload)))
		} else {
			writeProblem(w, r, badRequest("the request body could not be read"))
		}
		return
	}
	digest := hex.EncodeToString(h.Sum(nil))
	s.idem.wrap(w, r, p, digest, func(w http.ResponseWriter) {
		up, err := s.jobs.admitUpload(p, staging.Name(), size, digest)
		s.observeTx("POST "+api.Prefix+"/uploads", err)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, up)
	})
}

// stagingPrefix names an upload still arriving in the uploads directory.
const stagingPrefix = "staging-"

// admitUpload checks that the staged file is a CSV with a header row and makes it upload ID:
// the CSV first, then its record, so a record always has its CSV.
func (j *jobs) admitUpload(p principal, staged string, size int64, digest string) (*api.Upload, error) {
	f, err := os.Open(staged)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, invalid("the upload is not a CSV with a header row: " + oneSentence(err.Error()))
	}
	header = slices.Clone(header)
	rows := 0
	for {
		_, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalid("the upload is not valid CSV: " + oneSentence(err.Error()))
		}
		rows++
	}
	id, err := randomID("up-")
	if err != nil {
		return nil, err
	}
	rec := uploadRecord{Upload: api.Upload{ID: id, Bytes: size, SHA256: digest, Rows: rows, Header: header},
		Token: p.name, Created: time.Now().UTC()}
	meta, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(staged, filepath.Join(j.uploads, id+".csv")); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(j.uploads, id+".json"), meta, 0o600); err != nil {
		os.Remove(filepath.Join(j.uploads, id+".csv"))
		return nil, err
	}
	return &rec.Upload, nil
}

// loadUpload reads an upload's record; only the token that made it (or the home token) may use it.
func (j *jobs) loadUpload(p principal, id string) (*uploadRecord, error) {
	if !validID(id) {
		return nil, invalid(fmt.Sprintf("%q is not an upload id", id))
	}
	b, err := os.ReadFile(filepath.Join(j.uploads, id+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, invalid(fmt.Sprintf("there is no upload %s", id))
	}
	if err != nil {
		return nil, err
	}
	var rec uploadRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("upload %s is corrupt: %w", id, err)
	}
	if rec.Token != p.name && p.name != HomeToken {
		return nil, forbidden(fmt.Sprintf("upload %s was made with another token", id))
	}
	return &rec, nil
}

func (s *Server) publish(r *http.Request, p principal, body []byte) (int, any, error) {
	var req api.PublishRequest
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	key, err := p.signer(s.cfg.Home, req.From)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.jobs.loadUpload(p, req.Upload); err != nil {
		return 0, nil, err
	}
	if len(req.Schema) == 0 {
		return 0, nil, invalid(`a publish needs "schema", the schema JSON as ` + "`dxp dataset publish --schema`" + ` takes`)
	}
	if _, err := marketplace.ParseSchema(bytes.NewReader(req.Schema)); err != nil {
		return 0, nil, invalid("schema: " + oneSentence(err.Error()))
	}
	if req.Name == "" {
		req.Name = req.Upload
	}
	id, err := randomID("job-")
	if err != nil {
		return 0, nil, err
	}
	req.From = key
	jb := &job{rec: jobRecord{Job: api.Job{ID: id, Kind: "publish", From: key, State: api.JobQueued, Created: time.Now().UTC(),
		Progress: api.Progress{Stage: "queued", Line: "waiting for a publish slot"}}, Token: p.name, Request: req}, log: newEventLog()}
	if err := s.jobs.save(&jb.rec); err != nil {
		return 0, nil, err
	}
	jb.log.append("progress", jb.rec.Progress)
	s.jobs.mu.Lock()
	s.jobs.byID[id] = jb
	s.jobs.start(jb)
	s.jobs.mu.Unlock()
	return http.StatusAccepted, api.JobRef{Job: id}, nil
}

// start runs jb in the background once a slot is free.
func (j *jobs) start(jb *job) {
	j.s.goBackground(func(ctx context.Context) {
		select {
		case j.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-j.slots }()
		j.run(ctx, jb)
	})
}

// progressOf turns a publish's progress into the job's.
func progressOf(pp marketplace.PublishProgress) api.Progress {
	p := api.Progress{Stage: pp.Stage, Line: pp.Line()}
	switch pp.Stage {
	case "validate", "commit":
		p.Done, p.Total = pp.Rows, pp.TotalRows
	case "publish":
		p.Done, p.Total = pp.Proven+pp.Uploaded, pp.Chunks+pp.Ciphertexts
	case "check":
		p.Total = pp.Ciphertexts
	}
	return p
}

func (j *jobs) run(ctx context.Context, jb *job) {
	jb.mu.Lock()
	jb.rec.State = api.JobRunning
	req := jb.rec.Request
	err := j.save(&jb.rec)
	jb.mu.Unlock()
	if err == nil {
		var schema *marketplace.Schema
		if schema, err = marketplace.ParseSchema(bytes.NewReader(req.Schema)); err == nil {
			start := time.Now()
			var res *marketplace.PublishResult
			res, err = j.s.session.Publish(ctx, marketplace.PublishRequest{From: req.From, Name: req.Name, Description: req.Description,
				Schema: schema, CSV: marketplace.FileSource(filepath.Join(j.uploads, req.Upload+".csv")), Price: req.Price,
				Progress: func(pp marketplace.PublishProgress) {
					p := progressOf(pp)
					jb.mu.Lock()
					stageChanged := jb.rec.Progress.Stage != p.Stage
					jb.rec.Progress = p
					if stageChanged {
						j.saveLogged(&jb.rec) // a resumed job starts from its last stage's record
					}
					jb.mu.Unlock()
					jb.log.append("progress", p)
				}})
			if err == nil {
				j.s.catalog.invalidate()
				j.s.observePublish(res.Rows, time.Since(start))
				jb.mu.Lock()
				jb.rec.State, jb.rec.Result = api.JobDone, res
				jb.rec.Progress = api.Progress{Stage: "done", Done: 1, Total: 1, Line: fmt.Sprintf("dataset %s registered at height %d", res.Dataset, res.Height)}
				j.saveLogged(&jb.rec)
				view := jb.rec.Job
				jb.mu.Unlock()
				jb.log.append("done", view)
				j.removeUpload(req.Upload) // published: the CSV is no longer needed
				return
			}
		}
	}
	if ctx.Err() != nil {
		return // the gateway is stopping: the job stays running on disk and resumes at the next start
	}
	jb.mu.Lock()
	jb.rec.State, jb.rec.Problem = api.JobFailed, problemOf(err, "/api/v1/jobs/"+jb.rec.ID)
	j.saveLogged(&jb.rec)
	view := jb.rec.Job
	jb.mu.Unlock()
	jb.log.append("failed", view)
}

// visible returns job id if p acts for the key that runs it.
func (j *jobs) visible(p principal, id string) (*job, error) {
	j.mu.Lock()
	jb := j.byID[id]
	j.mu.Unlock()
	if jb != nil {
		jb.mu.Lock()
		from := jb.rec.From
		jb.mu.Unlock()
		if _, err := p.signer(j.s.cfg.Home, from); err == nil {
			return jb, nil
		}
	}
	return nil, notFound(fmt.Sprintf("no job %s for this token", id))
}

func (s *Server) listJobs(r *http.Request, p principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	s.jobs.mu.Lock()
	var all []*job
	for _, jb := range s.jobs.byID {
		all = append(all, jb)
	}
	s.jobs.mu.Unlock()
	var out []api.Job
	for _, jb := range all {
		jb.mu.Lock()
		v := jb.rec.Job
		jb.mu.Unlock()
		if _, err := p.signer(s.cfg.Home, v.From); err == nil {
			out = append(out, v)
		}
	}
	// Newest first: the key sorts by creation time, reversed.
	sort.Slice(out, func(a, b int) bool { return out[a].Created.After(out[b].Created) })
	key := func(v api.Job) string {
		return fmt.Sprintf("%016x/%s", uint64(1<<62)-uint64(v.Created.UnixNano()), v.ID)
	}
	return http.StatusOK, page(out, key, limit, after), nil
}

func (s *Server) getJob(r *http.Request, p principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	jb, err := s.jobs.visible(p, id)
	if err != nil {
		return 0, nil, err
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	return http.StatusOK, jb.rec.Job, nil
}

func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	jb, err := s.jobs.visible(p, id)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	serveEvents(s.life, w, r, jb.log)
}
