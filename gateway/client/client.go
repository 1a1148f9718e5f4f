package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/marketplace"
)

// Problem is a refusal from the gateway (RFC 9457).
type Problem = api.Problem

// Client calls one gateway with one token. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (for TLS settings or timeouts).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// New returns a client of the gateway at baseURL (e.g. http://127.0.0.1:8480) acting with token.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

type idemKey struct{}

// WithIdempotencyKey makes the writes made with ctx carry Idempotency-Key: key.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey{}, key)
}

// Query is a list's filters and paging: limit, cursor and the list's own (see the OpenAPI
// document).
type Query map[string]string

func (q Query) encode() string {
	v := url.Values{}
	for k, x := range q {
		if x != "" {
			v.Set(k, x)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Response is the status and headers of the last call, for callers that need them.
type Response struct {
	Status int
	Header http.Header
}

// Do sends a request with a JSON body (nil: none) and decodes a JSON answer into out (nil:
// discard). A status of 400 or more is returned as a *Problem.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (*Response, error) {
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte: // sent as it is
		r = bytes.NewReader(b)
		contentType = "application/json"
	case csvBody:
		r, contentType = bytes.NewReader(b), "text/csv"
	default:
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if k, ok := ctx.Value(idemKey{}).(string); ok && method != http.MethodGet {
		req.Header.Set("Idempotency-Key", k)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &Response{Status: resp.StatusCode, Header: resp.Header}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return res, err
	}
	if resp.StatusCode >= 400 {
		p := &Problem{}
		if json.Unmarshal(data, p) != nil || p.Status == 0 {
			p = &Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode), Detail: strings.TrimSpace(string(data))}
		}
		return res, p
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return res, fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, path, err)
		}
	}
	return res, nil
}

type csvBody []byte

func call[T any](ctx context.Context, c *Client, method, path string, body any) (*T, error) {
	var out T
	if _, err := c.Do(ctx, method, path, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

const v1 = api.Prefix

func esc(id string) string { return url.PathEscape(id) }

// Health is GET /healthz (no token needed).
func (c *Client) Health(ctx context.Context) (*api.Health, error) {
	return call[api.Health](ctx, c, "GET", "/healthz", nil)
}

func (c *Client) Whoami(ctx context.Context) (*api.Whoami, error) {
	return call[api.Whoami](ctx, c, "GET", v1+"/whoami", nil)
}

func (c *Client) Status(ctx context.Context) (*api.Status, error) {
	return call[api.Status](ctx, c, "GET", v1+"/status", nil)
}

func (c *Client) Committee(ctx context.Context) (*api.Committee, error) {
	return call[api.Committee](ctx, c, "GET", v1+"/committee", nil)
}

func (c *Client) Circuits(ctx context.Context) ([]api.Circuit, error) {
	out, err := call[[]api.Circuit](ctx, c, "GET", v1+"/circuits", nil)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

func (c *Client) Ceremonies(ctx context.Context) ([]api.Ceremony, error) {
	out, err := call[[]api.Ceremony](ctx, c, "GET", v1+"/ceremonies", nil)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// Datasets is a page of the catalog; q takes q, holder, tag, column, status, max_price,
// min_rows, limit and cursor.
func (c *Client) Datasets(ctx context.Context, q Query) (*api.Page[api.CatalogEntry], error) {
	return call[api.Page[api.CatalogEntry]](ctx, c, "GET", v1+"/datasets"+q.encode(), nil)
}

func (c *Client) Dataset(ctx context.Context, id string) (*api.DatasetDetail, error) {
	return call[api.DatasetDetail](ctx, c, "GET", v1+"/datasets/"+esc(id), nil)
}

func (c *Client) VerifyDataset(ctx context.Context, id string) (*api.Verification, error) {
	return call[api.Verification](ctx, c, "POST", v1+"/datasets/"+esc(id)+"/verify", nil)
}

func (c *Client) UpdateDataset(ctx context.Context, id string, u api.DatasetUpdate) (*api.DatasetDetail, error) {
	return call[api.DatasetDetail](ctx, c, "PATCH", v1+"/datasets/"+esc(id), u)
}

func (c *Client) SetPolicy(ctx context.Context, id, from string, policy marketplace.PolicyFile) (*api.DatasetDetail, error) {
	raw, err := json.Marshal(policy)
	if err != nil {
		return nil, err
	}
	return call[api.DatasetDetail](ctx, c, "PUT", v1+"/datasets/"+esc(id)+"/policy", api.PolicyChange{From: from, Policy: raw})
}

func (c *Client) RetireDataset(ctx context.Context, id, from, reason string) (*api.DatasetDetail, error) {
	return call[api.DatasetDetail](ctx, c, "POST", v1+"/datasets/"+esc(id)+"/retire", api.Reasoned{From: from, Reason: reason})
}

func (c *Client) TransferDataset(ctx context.Context, id, from, to string) (*api.DatasetDetail, error) {
	return call[api.DatasetDetail](ctx, c, "POST", v1+"/datasets/"+esc(id)+"/transfer", api.Transfer{From: from, To: to})
}

// Upload stores a CSV in the gateway for a later Publish.
func (c *Client) Upload(ctx context.Context, csv []byte) (*api.Upload, error) {
	return call[api.Upload](ctx, c, "POST", v1+"/uploads", csvBody(csv))
}

// Publish starts publishing an upload; the job runs in the gateway (see WaitJob, JobEvents).
func (c *Client) Publish(ctx context.Context, req api.PublishRequest) (*api.JobRef, error) {
	return call[api.JobRef](ctx, c, "POST", v1+"/publish", req)
}

func (c *Client) Jobs(ctx context.Context, q Query) (*api.Page[api.Job], error) {
	return call[api.Page[api.Job]](ctx, c, "GET", v1+"/jobs"+q.encode(), nil)
}

func (c *Client) Job(ctx context.Context, id string) (*api.Job, error) {
	return call[api.Job](ctx, c, "GET", v1+"/jobs/"+esc(id), nil)
}

func (c *Client) Grants(ctx context.Context, q Query) (*api.Page[api.Grant], error) {
	return call[api.Page[api.Grant]](ctx, c, "GET", v1+"/grants"+q.encode(), nil)
}

func (c *Client) Grant(ctx context.Context, id string) (*api.Grant, error) {
	return call[api.Grant](ctx, c, "GET", v1+"/grants/"+esc(id), nil)
}

func (c *Client) RequestGrant(ctx context.Context, req api.GrantRequest) (*api.Grant, error) {
	return call[api.Grant](ctx, c, "POST", v1+"/grants", req)
}

// ActOnGrant approves, rejects or revokes a grant ("approve", "reject", "revoke").
func (c *Client) ActOnGrant(ctx context.Context, id, action, from, reason string) (*api.Grant, error) {
	return call[api.Grant](ctx, c, "POST", v1+"/grants/"+esc(id)+"/"+esc(action), api.Reasoned{From: from, Reason: reason})
}

func (c *Client) Inbox(ctx context.Context, q Query) (*api.Page[api.Grant], error) {
	return call[api.Page[api.Grant]](ctx, c, "GET", v1+"/inbox"+q.encode(), nil)
}

func (c *Client) Quote(ctx context.Context, req api.ComputationRequest) (*api.Quote, error) {
	return call[api.Quote](ctx, c, "POST", v1+"/computations/quote", req)
}

// Compute requests a computation; it returns once the chain committed the request.
func (c *Client) Compute(ctx context.Context, req api.ComputationRequest) (*api.ComputationRef, error) {
	return call[api.ComputationRef](ctx, c, "POST", v1+"/computations", req)
}

func (c *Client) Computations(ctx context.Context, q Query) (*api.Page[api.Computation], error) {
	return call[api.Page[api.Computation]](ctx, c, "GET", v1+"/computations"+q.encode(), nil)
}

func (c *Client) Computation(ctx context.Context, id string) (*api.Computation, error) {
	return call[api.Computation](ctx, c, "GET", v1+"/computations/"+esc(id), nil)
}

func (c *Client) Resolve(ctx context.Context, id string, req api.Resolve) (*api.Computation, error) {
	return call[api.Computation](ctx, c, "POST", v1+"/computations/"+esc(id)+"/resolve", req)
}

func (c *Client) Products(ctx context.Context, q Query) (*api.Page[api.Product], error) {
	return call[api.Page[api.Product]](ctx, c, "GET", v1+"/products"+q.encode(), nil)
}

func (c *Client) TransferProduct(ctx context.Context, id, from, to string) (*api.Product, error) {
	return call[api.Product](ctx, c, "POST", v1+"/products/"+esc(id)+"/transfer", api.Transfer{From: from, To: to})
}

func (c *Client) LicenseProduct(ctx context.Context, id, from, to string) (*api.Product, error) {
	return call[api.Product](ctx, c, "POST", v1+"/products/"+esc(id)+"/license", api.Transfer{From: from, To: to})
}

// Flows is a page of the audit explorer; q takes dataset, party, grant, kind, from_height,
// to_height, limit and cursor.
func (c *Client) Flows(ctx context.Context, q Query) (*api.Page[api.Flow], error) {
	return call[api.Page[api.Flow]](ctx, c, "GET", v1+"/audit/flows"+q.encode(), nil)
}

// Report is the audit report as the regulator key from (empty: the token's first) sees it.
func (c *Client) Report(ctx context.Context, from string) (*marketplace.AuditReport, error) {
	return call[marketplace.AuditReport](ctx, c, "GET", v1+"/audit/report"+Query{"from": from}.encode(), nil)
}

func (c *Client) Budgets(ctx context.Context) (*api.Budgets, error) {
	return call[api.Budgets](ctx, c, "GET", v1+"/audit/budgets", nil)
}

func (c *Client) Holds(ctx context.Context, q Query) (*api.Page[api.Hold], error) {
	return call[api.Page[api.Hold]](ctx, c, "GET", v1+"/holds"+q.encode(), nil)
}

func (c *Client) Freeze(ctx context.Context, req api.HoldRequest) (*api.Hold, error) {
	return call[api.Hold](ctx, c, "POST", v1+"/holds", req)
}

func (c *Client) Unfreeze(ctx context.Context, req api.HoldRequest) (*api.Hold, error) {
	return call[api.Hold](ctx, c, "POST", v1+"/holds/release", req)
}

func (c *Client) Proposals(ctx context.Context, q Query) (*api.Page[api.Proposal], error) {
	return call[api.Page[api.Proposal]](ctx, c, "GET", v1+"/proposals"+q.encode(), nil)
}

func (c *Client) Propose(ctx context.Context, req api.ProposalRequest) (*api.Proposal, error) {
	return call[api.Proposal](ctx, c, "POST", v1+"/proposals", req)
}

func (c *Client) Vote(ctx context.Context, id, from string) (*api.Proposal, error) {
	return call[api.Proposal](ctx, c, "POST", v1+"/proposals/"+esc(id)+"/vote", api.Signer{From: from})
}

// Events reads the Server-Sent Events of path (a job's or computation's .../events), starting
// after lastID (0: from the start), calling f for each until a done or failed event, f returns
// an error, or ctx ends. It returns the last event.
func (c *Client) Events(ctx context.Context, path string, lastID int64, f func(api.Event) error) (*api.Event, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		p := &Problem{}
		if json.NewDecoder(resp.Body).Decode(p) != nil || p.Status == 0 {
			p = &Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		}
		return nil, p
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var e api.Event
	var last *api.Event
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if e.Type == "" {
				continue
			}
			ev := e
			last = &ev
			if err := f(ev); err != nil {
				return last, err
			}
			if ev.Type == "done" || ev.Type == "failed" {
				return last, nil
			}
			e = api.Event{}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			e.ID, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
		case strings.HasPrefix(line, "event: "):
			e.Type = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			e.Data = append(e.Data, strings.TrimPrefix(line, "data: ")...)
		}
	}
	if err := sc.Err(); err != nil {
		return last, err
	}
	return last, errors.New("the event stream ended before a done or failed event")
}

// JobEvents streams a job's events (see Events).
func (c *Client) JobEvents(ctx context.Context, id string, lastID int64, f func(api.Event) error) (*api.Event, error) {
	return c.Events(ctx, v1+"/jobs/"+esc(id)+"/events", lastID, f)
}

// ComputationEvents streams a computation's stage events (see Events).
func (c *Client) ComputationEvents(ctx context.Context, id string, lastID int64, f func(api.Event) error) (*api.Event, error) {
	return c.Events(ctx, v1+"/computations/"+esc(id)+"/events", lastID, f)
}

// WaitJob follows a job's events until it ends, calling progress (if set) on each progress
// event, and returns the job as it ended; a failed job is returned with its Problem as the error.
func (c *Client) WaitJob(ctx context.Context, id string, progress func(api.Progress)) (*api.Job, error) {
	_, err := c.JobEvents(ctx, id, 0, func(e api.Event) error {
		if e.Type == "progress" && progress != nil {
			var p api.Progress
			if err := json.Unmarshal(e.Data, &p); err == nil {
				progress(p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	job, err := c.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	if job.State == api.JobFailed && job.Problem != nil {
		return job, job.Problem
	}
	return job, nil
}

// WaitComputation follows a computation's stages until it ends and returns it as the token sees
// it (with its result for the buyer's token); a failed one is returned with its Problem (or a
// problem naming its status) as the error.
func (c *Client) WaitComputation(ctx context.Context, id string) (*api.Computation, error) {
	if _, err := c.ComputationEvents(ctx, id, 0, func(api.Event) error { return nil }); err != nil {
		return nil, err
	}
	comp, err := c.Computation(ctx, id)
	if err != nil {
		return nil, err
	}
	if comp.Stage == api.StageFailed {
		if comp.Problem != nil {
			return comp, comp.Problem
		}
		return comp, &Problem{Status: http.StatusConflict, Title: "computation failed", Detail: fmt.Sprintf("computation %s %s: %s", id, comp.Status, comp.Reason)}
	}
	return comp, nil
}
