package gateway

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dxplabs/dxp/gateway/metrics"
)

// TestOpenAPIMatchesRoutes checks both ways that the document lists exactly the routes the
// gateway serves: every registered METHOD PATH is an operation of the document, and every
// operation of the document is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "patch", "delete":
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	s := &Server{mux: http.NewServeMux(), cfg: Config{MaxBody: DefaultMaxBody, MaxUpload: DefaultMaxUpload}, metrics: metrics.New(metrics.Options{})}
	s.routeAll()
	served := slices.Clone(s.routes)
	sort.Strings(documented)
	sort.Strings(served)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("the gateway serves %s, which the OpenAPI document does not list", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("the OpenAPI document lists %s, which the gateway does not serve", r)
		}
	}
	if _, err := OpenAPIJSON(); err != nil {
		t.Errorf("the document does not convert to JSON: %v", err)
	}
}

// TestOpenAPIRefsResolve checks that every $ref of the document names a component it defines.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	n := 0
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" {
					n++
					var at any = doc
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, ok := at.(map[string]any)
						if !ok {
							at = nil
							break
						}
						at = m[part]
					}
					if at == nil {
						t.Errorf("$ref %s names nothing in the document", ref)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if n < 50 {
		t.Errorf("only %d $refs found; the walk is broken", n)
	}
}
