package devnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// DemoConfig runs the whole DXP story on generated data.
type DemoConfig struct {
	Home string    // empty: a temporary directory, removed afterwards
	Rows [2]int    // rows per owner; zero means 1500 and 1000
	Out  io.Writer // human progress; nil discards
	Log  *slog.Logger
	// SetupCache is where the devnet's insecure circuit setups are reused from (see
	// Config.SetupCache); empty sets them up afresh.
	SetupCache string
	// Metrics, if set, is where the devnet's node serves CometBFT's metrics (Config.Metrics):
	// `dxp demo --serve` points its gateway's cometbft_metrics there.
	Metrics string
	// Serve, if set, is called once every check passed, with the report so far, while the
	// devnet still runs; the devnet stops (and a temporary home is removed) when it returns.
	// `dxp demo --serve` starts a gateway in it and serves the console until interrupted.
	Serve func(ctx context.Context, rep *DemoReport) error
}

// DemoCheck is one computation compared with the plaintext answer.
type DemoCheck struct {
	Op        rights.Op `json:"op"`
	Column    string    `json:"column"`
	Result    string    `json:"result"`
	Plaintext string    `json:"plaintext"`
	Equal     bool      `json:"equal"`
}

// DemoReport is what the demo did and how long each step took.
type DemoReport struct {
	Home     string                   `json:"home"`
	Datasets []string                 `json:"datasets"`
	Grant    string                   `json:"grant"`
	Checks   []DemoCheck              `json:"checks"`
	Audit    *marketplace.AuditReport `json:"audit"`
	Steps    []marketplace.Timing     `json:"steps"`
	Publish  [][]marketplace.Timing   `json:"publish_stages"`
	Compute  [][]marketplace.Timing   `json:"compute_stages"`
	Total    float64                  `json:"total_seconds"`
	Balances map[string]any           `json:"balances"`
}

var demoSchema = `{"columns":[
 {"name":"age","type":"integer","min":0,"max":120},
 {"name":"income","type":"decimal","scale":2,"min":0,"max":1000000}]}`

// Demo starts a devnet, has two owners list generated data, a buyer obtain a grant over both
// and compute sum, mean and count, and a regulator audit it all. It fails if any decrypted result
// differs from the plaintext answer. With cfg.Serve it then leaves the devnet running until
// Serve returns.
func Demo(ctx context.Context, cfg DemoConfig) (rep *DemoReport, err error) {
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	if cfg.Rows[0] == 0 {
		cfg.Rows = [2]int{1500, 1000}
	}
	home := cfg.Home
	if home == "" {
		if home, err = os.MkdirTemp("", "dxp-demo-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(home)
	}
	rep = &DemoReport{Home: home, Balances: map[string]any{}}
	began := time.Now()
	step := func(name string, start time.Time) {
		rep.Steps = append(rep.Steps, marketplace.Timing{Stage: name, Seconds: time.Since(start).Seconds()})
	}

	rpc, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	say("1. Starting a devnet in %s: one validator, a 3-member committee, fs storage", home)
	start := time.Now()
	schema, err := marketplace.ParseSchema(strings.NewReader(demoSchema))
	if err != nil {
		return nil, err
	}
	// Only the widths the demo's columns need: each is one input-histogram setup on a first run
	// (about as costly as a plain input setup of twice the width), on top of the frequency table's.
	dn, err := Start(ctx, Config{Home: home, RPC: rpc, Log: cfg.Log, SetupCache: cfg.SetupCache, Widths: widthsFor(schema), Metrics: cfg.Metrics})
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := dn.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	step("devnet first start (circuit setup or cache, genesis, node)", start)
	gen, err := client.Get[rights.Genesis](ctx, dn.Chain(), "")
	if err != nil {
		return nil, err
	}
	ring := "the secure ring"
	if gen.Params.SlotsPerCiphertext < mpc.SecureSlots {
		ring = "an INSECURE ring, for speed"
	}
	say("   chain %s, RPC %s, %d values per ciphertext: %s (%.1fs)", dn.Config.ChainID, rpc, gen.Params.SlotsPerCiphertext, ring, time.Since(start).Seconds())

	say("2. The committee runs its key ceremony on the chain (CKG, RKG, Galois keys)")
	start = time.Now()
	readyCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = dn.WaitReady(readyCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	step("committee key ceremony", start)
	say("   collective keys agreed on chain (%.1fs)", time.Since(start).Seconds())

	s, err := marketplace.Open(ctx, home)
	if err != nil {
		return nil, err
	}
	defer s.Close()

	say("3. Creating identities: owner1, owner2 (owners), buyer1 (buyer); regulator exists since genesis")
	for _, k := range []struct {
		name string
		role rights.Role
	}{{"owner1", rights.RoleOwner}, {"owner2", rights.RoleOwner}, {"buyer1", rights.RoleBuyer}} {
		if _, err := marketplace.CreateKey(home, k.name, []rights.Role{k.role}); err != nil {
			return nil, err
		}
	}

	say("4. A CSV with a bad row is refused with its line and column, and nothing is registered")
	bad := "age,income\n34,52000.00\n41,61000.125\n"
	if _, err := marketplace.ReadTable("bad.csv", strings.NewReader(bad), schema); err == nil {
		return nil, errors.New("a CSV with three decimals in a two-decimal column was accepted")
	} else {
		say("   refused: %v", err)
	}

	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	var tables [2]*marketplace.Table
	for i, owner := range []string{"owner1", "owner2"} {
		csvText := generateCSV(rng, cfg.Rows[i])
		path := filepath.Join(home, "demo", owner+".csv")
		if err := atomicfile.Write(path, []byte(csvText), 0o600); err != nil {
			return nil, err
		}
		if tables[i], err = marketplace.ReadTable(path, strings.NewReader(csvText), schema); err != nil {
			return nil, err
		}
		say("5.%d %s publishes %d rows: validate, commit (salted Poseidon2), encrypt, prove in zk that each ciphertext encrypts exactly the committed values and that each frequency table is their histogram, upload, register", i+1, owner, tables[i].Rows)
		start = time.Now()
		stage := ""
		pub, err := s.Publish(ctx, marketplace.PublishRequest{From: owner, Name: owner + "-survey", Description: "generated demo data",
			Schema: schema, CSV: marketplace.BytesSource(path, []byte(csvText)), Price: uint64(5 + 2*i),
			Progress: func(p marketplace.PublishProgress) {
				if p.Stage != stage { // one line per stage: the demo's output is a log, not a terminal
					stage = p.Stage
					say("     %s", p.Line())
				}
			}})
		if err != nil {
			return nil, err
		}
		step(fmt.Sprintf("publish %s (%d rows)", owner, tables[i].Rows), start)
		rep.Publish = append(rep.Publish, pub.Timings)
		rep.Datasets = append(rep.Datasets, pub.Dataset)
		say("     dataset %s registered at height %d: %d chunk and %d frequency-table proofs verified by the chain, %d ciphertexts (%.1fs)",
			pub.Dataset, pub.Height, pub.Chunks, pub.Tables, pub.Ciphertexts, time.Since(start).Seconds())
	}

	say("6. buyer1 requests a grant over both datasets; both holders approve")
	start = time.Now()
	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer1", Datasets: rep.Datasets,
		Ops: []rights.Op{rights.OpSum, rights.OpMean, rights.OpCount, rights.OpStddev}, Columns: []string{"income", "age"}, Uses: 10})
	if err != nil {
		return nil, err
	}
	rep.Grant = g.ID
	for _, owner := range []string{"owner1", "owner2"} {
		if g, err = s.ActOnGrant(ctx, owner, g.ID, marketplace.Approve, ""); err != nil {
			return nil, err
		}
		say("     %s approved: grant %s is %s", owner, g.ID, g.State)
	}
	step("grant request and approvals", start)
	if g.State != rights.GrantActive {
		return nil, fmt.Errorf("grant %s is %s after both approvals, want active", g.ID, g.State)
	}

	say("7. buyer1 computes on ciphertexts; only buyer1 can decrypt the answers")
	failed := 0
	for _, q := range []struct {
		op  rights.Op
		col string
	}{{rights.OpSum, "income"}, {rights.OpMean, "income"}, {rights.OpCount, "income"}, {rights.OpMean, "age"}, {rights.OpStddev, "age"}} {
		start = time.Now()
		res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: q.op, Columns: []string{q.col}})
		if err != nil {
			return nil, err
		}
		step(fmt.Sprintf("compute %s(%s)", q.op, q.col), start)
		rep.Compute = append(rep.Compute, res.Timings)
		want := PlaintextAnswer(q.op, q.col, schema, tables[:])
		check := DemoCheck{Op: q.op, Column: q.col, Result: res.Result, Plaintext: want, Equal: res.Result == want}
		rep.Checks = append(rep.Checks, check)
		mark := "equals the plaintext answer"
		if !check.Equal {
			mark = "DIFFERS from the plaintext answer " + want
			failed++
		}
		say("     %s(%s) over %d rows = %s  (%s; %.2fs)", q.op, q.col, res.Rows, res.Result, mark, time.Since(start).Seconds())
	}

	say("8. Requests the grant does not cover are refused by the chain")
	if _, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"zip"}}); err == nil {
		return nil, errors.New("a computation over a column outside the grant was accepted")
	} else {
		say("     refused: %v", err)
	}

	say("   Every completed computation issued buyer1 a product with its lineage on chain")
	products, err := s.Products(ctx, "buyer1")
	if err != nil {
		return nil, err
	}
	say("     %d products held by buyer1", len(products))
	say("   The regulator freezes %s's dataset: computations over it stop, and so do its products", "owner2")
	start = time.Now()
	hold, err := s.Freeze(ctx, "regulator", rights.HoldDataset, rep.Datasets[1], "demo: consent under review")
	if err != nil {
		return nil, err
	}
	if _, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpCount, Columns: []string{"age"}}); err == nil {
		return nil, errors.New("a computation over a frozen dataset was accepted")
	} else {
		say("     refused: %v", err)
	}
	if products, err = s.Products(ctx, "buyer1"); err != nil {
		return nil, err
	}
	for _, p := range products {
		if !p.Frozen {
			return nil, fmt.Errorf("product %s of a frozen dataset is not frozen", p.ID)
		}
	}
	if _, err := s.Unfreeze(ctx, "regulator", rights.HoldDataset, rep.Datasets[1], "demo: cleared"); err != nil {
		return nil, err
	}
	step("freeze and unfreeze", start)
	say("     hold %s released; the dataset is usable again", hold.ID)

	say("9. The regulator audits every flow and re-verifies every proof")
	start = time.Now()
	audit, err := s.Audit(ctx, "regulator")
	if err != nil {
		return nil, err
	}
	step("audit", start)
	rep.Audit = audit
	for _, d := range audit.Datasets {
		say("     dataset %s held by %s: %d rows, %d chunk and %d frequency-table proofs, proof verified: %v", d.ID, d.Holder, d.Rows, d.Chunks, d.Tables, d.ProofVerified)
		if !d.ProofVerified {
			failed++
		}
	}
	for _, c := range audit.Computations {
		say("     computation %s: %s(%s) by %s, %s, members %d, price %d", c.ID, c.Op, c.Column, c.Requester, c.Status, len(c.Members), c.Escrow)
	}
	say("     %d products, %d holds on record; credit supply conserved: %v", len(audit.Products), len(audit.Holds), audit.Supply.Conserved)
	if !audit.Supply.Conserved {
		failed++
	}
	for _, who := range []string{"owner1", "owner2", "buyer1"} {
		k, err := s.Key(who)
		if err != nil {
			return nil, err
		}
		p, err := client.Get[rights.Party](ctx, s.Chain, string(k.Address()))
		if err != nil {
			return nil, err
		}
		rep.Balances[who] = p.Balance
		say("     %s balance: %d credits", who, p.Balance)
	}
	rep.Total = time.Since(began).Seconds()
	say("Done in %.1fs.", rep.Total)
	if failed > 0 {
		return rep, fmt.Errorf("%d checks failed: a decrypted result differs from the plaintext answer or a proof did not verify", failed)
	}
	if cfg.Serve != nil {
		return rep, cfg.Serve(ctx, rep)
	}
	return rep, nil
}

func generateCSV(rng *rand.Rand, rows int) string {
	var b bytes.Buffer
	b.WriteString("age,income\n")
	for i := 0; i < rows; i++ {
		age := 18 + rng.IntN(70)
		cents := 1_500_000 + rng.IntN(20_000_000) // 15,000.00 to 215,000.00
		fmt.Fprintf(&b, "%d,%d.%02d\n", age, cents/100, cents%100)
	}
	return b.String()
}

// PlaintextAnswer computes on the rows in the clear what the committee computes on their
// ciphertexts (a sum, mean, count, variance or stddev of column over the pooled tables), formatted
// as Session.Compute formats a result, so the two compare as strings.
func PlaintextAnswer(op rights.Op, column string, s *marketplace.Schema, tables []*marketplace.Table) string {
	total, squares := new(big.Int), new(big.Int)
	var rows uint64
	var scale uint32
	for _, t := range tables {
		for ci, c := range s.Columns {
			if c.Name != column {
				continue
			}
			scale = c.Scale
			for _, v := range t.Values[ci] {
				x := big.NewInt(v)
				total.Add(total, x)
				squares.Add(squares, x.Mul(x, x))
			}
		}
		rows += uint64(t.Rows)
	}
	return marketplace.FormatValues(op, []*big.Int{total, squares}, rows, scale)
}

// widthsFor returns, once each, the narrowest of devnetWidths that holds each column of s.
func widthsFor(s *marketplace.Schema) []int {
	var out []int
	for _, c := range s.Columns {
		need := int(rights.ColumnWidth(c.Min, c.Max))
		for _, w := range devnetWidths {
			if w >= need {
				if !slices.Contains(out, w) {
					out = append(out, w)
				}
				break
			}
		}
	}
	return out
}
