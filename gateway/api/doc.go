// Package api holds the request and response bodies of the DXP gateway's HTTP API (JSON,
// snake_case), shared by the server (package gateway) and its Go client (gateway/client). The
// API itself, every route and status, is described by gateway/openapi.yaml, the one source of
// truth; these types are its schemas in Go.
package api
