package marketplace_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	. "github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/spec"
)

// opsSchema: pay is an exact linear function of age and hours, so a regression has a known
// answer; flag is constant, so a regression on it is singular.
const opsSchema = `{"columns":[
 {"name":"age","type":"integer","min":0,"max":99,"bin":5},
 {"name":"hours","type":"decimal","scale":1,"min":0,"max":80},
 {"name":"pay","type":"decimal","scale":2,"min":0,"max":500},
 {"name":"flag","type":"integer","min":0,"max":1}]}`

func opsTable(t *testing.T, rows int, seed int) *Table {
	t.Helper()
	s, err := ParseSchema(strings.NewReader(opsSchema))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("age,hours,pay,flag\n")
	for i := range rows {
		age := (i*37 + seed*11) % 100
		hours := (i*53 + seed*7) % 801   // tenths
		pay := 1000 + 200*age + 30*hours // hundredths: 10 + 2·age + 3·hours
		fmt.Fprintf(&b, "%d,%d.%d,%d.%02d,1\n", age, hours/10, hours%10, pay/100, pay%100)
	}
	tab, err := ReadTable("ops.csv", strings.NewReader(b.String()), s)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// pooled returns the pooled values of a column over tables.
func pooled(tables []*Table, name string) []int64 {
	var out []int64
	for _, t := range tables {
		for ci, c := range t.Schema.Columns {
			if c.Name == name {
				out = append(out, t.Values[ci]...)
			}
		}
	}
	return out
}

// TestComputeOps runs every op end to end over two pooled datasets on one devnet (real node,
// storage, ceremony, proofs and committee) and checks each answer against the plaintext, and
// the refusals a buyer meets before anything runs.
func TestComputeOps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home := t.TempDir()
	dn := startDevnet(t, home)
	defer dn.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	s, err := Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustKey(t, home, "owner1", rights.RoleOwner)
	mustKey(t, home, "owner2", rights.RoleOwner)
	mustKey(t, home, "buyer1", rights.RoleBuyer)
	tables := []*Table{opsTable(t, 150, 1), opsTable(t, 97, 2)}
	var ids []string
	for i, owner := range []string{"owner1", "owner2"} {
		pub, err := s.Publish(ctx, PublishRequest{From: owner, Name: owner + "-ops", Schema: tables[i].Schema, CSV: BytesSource("ops.csv", tables[i].CSV()), Price: 1})
		if err != nil {
			t.Fatalf("Publish(%s) = %v", owner, err)
		}
		ids = append(ids, pub.Dataset)
	}
	ds, err := client.Get[rights.Dataset](ctx, s.Chain, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if f := ds.Columns[0].Frequencies; f == nil || f.Min != 0 || f.Bin != 5 {
		t.Fatalf("column age frequency table = %+v, want bins of 5 from 0 (the schema's)", f)
	}
	params, err := s.Params()
	if err != nil {
		t.Fatal(err)
	}
	if f := ds.Columns[1].Frequencies; f == nil || f.Bin != 1 {
		t.Errorf("column hours frequency table = %+v, want the default bin 1 (801 values fit %d slots)", f, mpc.Slots(params))
	}

	g, err := s.RequestGrant(ctx, GrantRequest{From: "buyer1", Datasets: ids, Ops: rights.Ops,
		Columns: []string{"age", "hours", "pay", "flag"}, Uses: 20, Epsilon: 2_500_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{"owner1", "owner2"} {
		if g, err = s.ActOnGrant(ctx, owner, g.ID, Approve, ""); err != nil {
			t.Fatal(err)
		}
	}
	if g.State != rights.GrantActive {
		t.Fatalf("grant is %s, want active", g.State)
	}
	rows := uint64(tables[0].Rows + tables[1].Rows)
	age := pooled(tables, "age")
	compute := func(t *testing.T, req ComputeRequest) *ComputeResult {
		t.Helper()
		req.From, req.Grant = "buyer1", g.ID
		res, err := s.Compute(ctx, req)
		if err != nil {
			t.Fatalf("Compute(%s %v) = %v", req.Op, req.Columns, err)
		}
		if res.Rows != rows {
			t.Errorf("Compute(%s) rows = %d, want %d", req.Op, res.Rows, rows)
		}
		return res
	}
	used := func(t *testing.T) uint64 {
		t.Helper()
		gr, err := client.Get[rights.Grant](ctx, s.Chain, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		return gr.Used
	}

	t.Run("exact", func(t *testing.T) {
		for _, op := range []rights.Op{rights.OpSum, rights.OpMean, rights.OpVariance, rights.OpStddev} {
			res := compute(t, ComputeRequest{Op: op, Columns: []string{"pay"}})
			if want := plaintextAnswer(op, "pay", tables[0].Schema, tables); res.Result != want {
				t.Errorf("%s(pay) = %s, want the plaintext answer %s", op, res.Result, want)
			}
		}
	})

	t.Run("histogram", func(t *testing.T) {
		edges := []string{"0", "10", "25", "100"}
		res := compute(t, ComputeRequest{Op: rights.OpHistogram, Columns: []string{"age"}, Edges: edges})
		want := make([]int, 3)
		for _, a := range age {
			switch {
			case a < 10:
				want[0]++
			case a < 25:
				want[1]++
			default:
				want[2]++
			}
		}
		if len(res.Buckets) != 3 {
			t.Fatalf("histogram has %d buckets, want 3: %s", len(res.Buckets), res.Result)
		}
		for b, n := range want {
			if got := res.Buckets[b]; got.Count != fmt.Sprint(n) || got.From != edges[b] || got.To != edges[b+1] {
				t.Errorf("bucket %d = %+v, want [%s, %s) with %d", b, got, edges[b], edges[b+1], n)
			}
		}
	})

	t.Run("histogram refused", func(t *testing.T) {
		before := used(t)
		for _, tc := range []struct {
			edges []string
			want  string
		}{
			{[]string{"0", "12", "100"}, `histogram edge 12 of column "age" is not on a bin boundary: its frequency table has bins of width 5 from 0`},
			{[]string{"0", "105"}, `histogram edge 105 of column "age" lies outside [0, 100]`},
			{[]string{"10", "5"}, "strictly increasing"},
		} {
			_, err := s.Compute(ctx, ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpHistogram, Columns: []string{"age"}, Edges: tc.edges})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("histogram with edges %v: error %v, want %q", tc.edges, err, tc.want)
			}
		}
		if after := used(t); after != before {
			t.Errorf("refused histograms used the grant: %d uses, want %d", after, before)
		}
	})

	t.Run("regression", func(t *testing.T) {
		res := compute(t, ComputeRequest{Op: rights.OpRegression, Columns: []string{"age", "hours", "pay"}})
		want := []Coefficient{{"intercept", "10.000000"}, {"age", "2.000000"}, {"hours", "3.000000"}}
		if fmt.Sprint(res.Coefficients) != fmt.Sprint(want) {
			t.Errorf("regression coefficients = %v, want %v (pay = 10 + 2·age + 3·hours exactly)", res.Coefficients, want)
		}
		if res.Result != "pay = 10.000000 + 2.000000·age + 3.000000·hours" {
			t.Errorf("regression = %q", res.Result)
		}
	})

	t.Run("singular regression", func(t *testing.T) {
		_, err := s.Compute(ctx, ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpRegression, Columns: []string{"flag", "pay"}})
		if !errors.Is(err, ErrSingular) || !strings.Contains(err.Error(), `column "flag" is constant or a linear combination`) {
			t.Errorf("regression on a constant feature: %v, want ErrSingular naming flag", err)
		}
	})

	t.Run("dot", func(t *testing.T) {
		w := &Weights{Scale: 1}
		want := new(big.Int)
		for i, a := range age {
			v := int64(i%7-3)*10 + 5 // -2.5 ... 3.5
			w.Values = append(w.Values, v)
			want.Add(want, big.NewInt(a*v))
		}
		res := compute(t, ComputeRequest{Op: rights.OpDot, Columns: []string{"age"}, Weights: w})
		if exp := FormatValue(want, 1); res.Result != exp {
			t.Errorf("dot(age, w) = %s, want %s", res.Result, exp)
		}
		short := &Weights{Values: w.Values[:rows-1]}
		if _, err := s.Compute(ctx, ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpDot, Columns: []string{"age"}, Weights: short}); err == nil ||
			!strings.Contains(err.Error(), fmt.Sprintf("the grant's datasets have %d rows", rows)) {
			t.Errorf("dot with %d weights for %d rows: %v, want a refusal naming the rows", rows-1, rows, err)
		}
		huge := &Weights{Values: make([]int64, rows)}
		huge.Values[0] = 1e12
		if _, err := s.Compute(ctx, ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpDot, Columns: []string{"age"}, Weights: huge}); !errors.Is(err, spec.ErrOverflow) {
			t.Errorf("dot with weights up to 10^12: %v, want the overflow refusal", err)
		}
	})

	t.Run("noise", func(t *testing.T) {
		res := compute(t, ComputeRequest{Op: rights.OpCount, Columns: []string{"age"}, Epsilon: 1_000_000})
		n, ok := new(big.Int).SetString(res.Result, 10)
		if !ok {
			t.Fatalf("noisy count = %q, not an integer", res.Result)
		}
		// Laplace of scale 1/ε = 1: beyond 46 with probability below 2^-64.
		if d := new(big.Int).Sub(n, new(big.Int).SetUint64(rows)); d.CmpAbs(big.NewInt(46)) > 0 {
			t.Errorf("noisy count = %s, more than 46 from %d", n, rows)
		}
		if res.Mechanism != mpc.DPLaplace || res.Epsilon != "1" || res.Participants == nil {
			t.Errorf("noisy count says mechanism %q, epsilon %q, participants %v; want laplace, 1, the committee", res.Mechanism, res.Epsilon, res.Participants)
		}

		hist := compute(t, ComputeRequest{Op: rights.OpHistogram, Columns: []string{"age"}, Edges: []string{"0", "50", "100"}, Epsilon: 1_000_000, Delta: 10})
		if hist.Mechanism != mpc.DPGaussian || hist.Delta != "0.00001" {
			t.Errorf("noisy histogram says mechanism %q, delta %q; want gaussian, 0.00001", hist.Mechanism, hist.Delta)
		}
		low := 0
		for _, a := range age {
			if a < 50 {
				low++
			}
		}
		// σ² ≤ 2·(ln(1/δ)+ε)/ε² ≈ 25 (a row changes one bucket by 1): beyond 9.5σ ≤ 48 with
		// probability below 2^-64.
		for b, want := range []int{low, len(age) - low} {
			got, _ := new(big.Int).SetString(hist.Buckets[b].Count, 10)
			if got == nil || new(big.Int).Sub(got, big.NewInt(int64(want))).CmpAbs(big.NewInt(48)) > 0 {
				t.Errorf("noisy bucket %d = %s, more than 48 from %d", b, hist.Buckets[b].Count, want)
			}
		}
		gr, err := client.Get[rights.Grant](ctx, s.Chain, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gr.EpsilonSpent != 2_000_000 {
			t.Errorf("grant spent epsilon %d, want 2000000", gr.EpsilonSpent)
		}
		// 0.5 left: a count spending 1 is refused before it runs.
		_, err = s.Compute(ctx, ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpCount, Columns: []string{"age"}, Epsilon: 1_000_000})
		var te *rights.TxError
		if !errors.As(err, &te) || te.Code != rights.CodeEpsilon {
			t.Errorf("a count past the grant's budget: %v, want the chain's epsilon refusal", err)
		}
	})
}
