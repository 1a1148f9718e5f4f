package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/rights"
)

// problemError is an error that already knows its HTTP status and problem type.
type problemError struct {
	status int
	kind   string // the last part of the problem's type URI
	detail string
}

func (e *problemError) Error() string { return e.detail }

// Errors the handlers return; writeProblem turns each into its problem document.
func badRequest(detail string) error {
	return &problemError{http.StatusBadRequest, "bad-request", detail}
}
func unauthorized(detail string) error {
	return &problemError{http.StatusUnauthorized, "unauthorized", detail}
}
func forbidden(detail string) error { return &problemError{http.StatusForbidden, "forbidden", detail} }
func notFound(detail string) error  { return &problemError{http.StatusNotFound, "not-found", detail} }
func invalid(detail string) error {
	return &problemError{http.StatusUnprocessableEntity, "invalid-request", detail}
}
func tooLarge(detail string) error {
	return &problemError{http.StatusRequestEntityTooLarge, "too-large", detail}
}

// conflictCodes are the chain's refusals of a request that is well formed but meets the wrong
// state (409); the rest are invalid requests (422), except unknown ids (404).
var conflictCodes = map[uint32]bool{
	rights.CodeReplay: true, rights.CodeNonceGap: true, rights.CodeAlreadyRegistered: true,
	rights.CodeCommitteeReady: true, rights.CodeCommitteeNotReady: true, rights.CodeDatasetNotListed: true,
	rights.CodeGrantState: true, rights.CodeAlreadyApproved: true, rights.CodeNoUsesLeft: true,
	rights.CodeInsufficientFunds: true, rights.CodeComputationState: true, rights.CodeAlreadySubmitted: true,
	rights.CodeDeadlinePassed: true, rights.CodeFrozen: true, rights.CodeAlreadyFrozen: true,
	rights.CodeNotFrozen: true, rights.CodeEpsilon: true, rights.CodeProposalState: true, rights.CodeAlreadyVoted: true,
	rights.CodeAlreadyLicensed: true, rights.CodeCircuitExists: true, rights.CodeZKCeremonyState: true,
	rights.CodeZKOutOfTurn: true, rights.CodeZKAlreadyContributed: true, rights.CodeNotLive: true,
	rights.CodeNotDisputable: true, rights.CodeNoDispute: true, rights.CodeAlreadyRefused: true,
	rights.CodeFeeUnpaid: true, rights.CodeTooManyHeavyTxs: true,
}

var unknownCodes = map[uint32]bool{
	rights.CodeUnknownDataset: true, rights.CodeUnknownGrant: true, rights.CodeUnknownComputation: true,
	rights.CodeUnknownProduct: true, rights.CodeUnknownParty: true, rights.CodeNotFound: true,
	rights.CodeUnknownProposal: true, rights.CodeUnknownZKCeremony: true,
}

// problemOf maps an error to its problem document: a gateway problem as it is, a chain refusal
// with the chain's code (409, 422 or 404), an unknown object 404, a cancelled or timed-out wait
// 504, and anything else the flows refused (marketplace checks what the chain would refuse
// before it submits) 422.
func problemOf(err error, instance string) *api.Problem {
	var pe *problemError
	var te *rights.TxError
	var ap *api.Problem
	p := &api.Problem{Instance: instance, Detail: oneSentence(err.Error())}
	switch {
	case errors.As(err, &ap):
		q := *ap
		q.Instance = instance
		return &q
	case errors.As(err, &pe):
		p.Status, p.Type = pe.status, api.ProblemType+pe.kind
	case errors.As(err, &te):
		p.Code, p.Detail = te.Code, oneSentence(te.Log)
		switch {
		case unknownCodes[te.Code]:
			p.Status, p.Type = http.StatusNotFound, api.ProblemType+"not-found"
		case conflictCodes[te.Code]:
			p.Status, p.Type = http.StatusConflict, api.ProblemType+"chain-conflict"
		default:
			p.Status, p.Type = http.StatusUnprocessableEntity, api.ProblemType+"chain-refused"
		}
	case errors.Is(err, rights.ErrNotFound):
		p.Status, p.Type = http.StatusNotFound, api.ProblemType+"not-found"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		p.Status, p.Type = http.StatusGatewayTimeout, api.ProblemType+"timeout"
	default:
		p.Status, p.Type = http.StatusUnprocessableEntity, api.ProblemType+"refused"
	}
	p.Title = http.StatusText(p.Status)
	return p
}

// oneSentence keeps a reason to one line.
func oneSentence(s string) string { return strings.Join(strings.Fields(s), " ") }

func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err, r.URL.Path)
	writeJSONType(w, p.Status, "application/problem+json", p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/json", v)
}

func writeJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		b, _ = json.Marshal(&api.Problem{Type: api.ProblemType + "internal", Title: http.StatusText(status), Status: status,
			Detail: "the response could not be encoded"})
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
