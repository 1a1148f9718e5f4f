package marketplace

import (
	"strings"
	"testing"

	"github.com/dxplabs/dxp/rights"
)

// TestPolicyFilePooling: pooling and dp_when_pooled are read, written back and described; the
// default "others" stays unset on chain, and an unknown rule is an error.
func TestPolicyFilePooling(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader(`{"pooling":"any","dp_when_pooled":true,"epsilon_total":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Pooling != rights.PoolingAny || !p.DPWhenPooled {
		t.Errorf("policy = %+v, want pooling any and DP when pooled", p)
	}
	if f := PolicyFileOf(p); f.Pooling != "any" || !f.DPWhenPooled {
		t.Errorf("PolicyFileOf = %+v", f)
	}
	if d := DescribePolicy(p); !strings.Contains(d, "pooled with any dataset") || !strings.Contains(d, "differential privacy required when pooled") {
		t.Errorf("DescribePolicy = %q", d)
	}
	for _, in := range []string{`{}`, `{"pooling":"others"}`} {
		p, err := ParsePolicy(strings.NewReader(in))
		if err != nil || p.Pooling != "" || p.PoolingRule() != rights.PoolingOthers {
			t.Errorf("ParsePolicy(%s) = pooling %q, %v; want unset, read as others", in, p.Pooling, err)
		}
		if d := DescribePolicy(p); !strings.Contains(d, "not pooled with the requester's own datasets") {
			t.Errorf("DescribePolicy(%s) = %q", in, d)
		}
	}
	if _, err := ParsePolicy(strings.NewReader(`{"pooling":"sometimes"}`)); err == nil || !strings.Contains(err.Error(), `pooling "sometimes"`) {
		t.Errorf("ParsePolicy(pooling sometimes) = %v, want an error naming it", err)
	}
}
