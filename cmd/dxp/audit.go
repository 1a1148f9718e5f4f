package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

func auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "print every flow on the chain, re-verifying every proof (regulators)",
		Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("regulator key name")},
		Action: func(c *cli.Context) error {
			s, err := marketplace.Open(c.Context, c.String("home"))
			if err != nil {
				return err
			}
			defer s.Close()
			r, err := s.Audit(c.Context, c.String("from"))
			if err != nil {
				return err
			}
			return emit(c, r, func(w io.Writer) { printAudit(w, r) })
		},
	}
}

func printAudit(w io.Writer, r *marketplace.AuditReport) {
	fmt.Fprintf(w, "Audit of chain %s at height %d by %s\n", r.ChainID, r.Height, r.Auditor)
	fmt.Fprintf(w, "\nCommittee: %d members, threshold %d, epoch %d, ready %v; proof setup: %s\n",
		len(r.Committee.Members), r.Committee.Threshold, r.Committee.Epoch, r.Committee.Ready, r.Committee.Setup)
	fmt.Fprintf(w, "\nDatasets (%d)\n", len(r.Datasets))
	for _, d := range r.Datasets {
		fmt.Fprintf(w, "  %s %q holder %s: %d rows, columns %s, price %d, %s\n    commitment %s, %d chunk and %d frequency-table proofs, proof verified: %v\n",
			d.ID, d.Name, d.Holder, d.Rows, strings.Join(d.Columns, ","), d.Price, d.Status, d.Commitment, d.Chunks, d.Tables, d.ProofVerified)
	}
	fmt.Fprintf(w, "\nGrants (%d)\n", len(r.Grants))
	for _, g := range r.Grants {
		fmt.Fprintf(w, "  %s %s: grantee %s, datasets %s, columns %s, used %d of %d, approvals %d of %d",
			g.ID, g.State, g.Grantee, strings.Join(g.Datasets, ","), strings.Join(g.Columns, ","), g.Used, g.Uses, len(g.Approvals), len(g.Holders))
		if g.Reason != "" {
			fmt.Fprintf(w, " (%s)", g.Reason)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nComputations (%d)\n", len(r.Computations))
	for _, c := range r.Computations {
		fmt.Fprintf(w, "  %s %s(%s) by %s under %s over %s: %s, %d rows, result digest %s, members %v",
			c.ID, c.Op, c.Column, c.Requester, c.Grant, strings.Join(c.Datasets, ","), c.Status, c.Rows, orDash(c.ResultDigest), c.Members)
		if len(c.Disagreed) > 0 {
			fmt.Fprintf(w, ", disagreed %v", c.Disagreed)
		}
		if c.Epsilon != "" {
			fmt.Fprintf(w, ", epsilon %s", c.Epsilon)
		}
		if c.Reason != "" {
			fmt.Fprintf(w, " (%s)", c.Reason)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nProducts (%d)\n", len(r.Products))
	for _, p := range r.Products {
		fmt.Fprintf(w, "  %s held by %s: %s(%s) of computation %s under %s over %s",
			p.ID, p.Holder, p.Op, strings.Join(p.Columns, ","), p.Computation, p.Grant, strings.Join(p.Datasets, ","))
		if len(p.Licensees) > 0 {
			fmt.Fprintf(w, ", %d licensees", len(p.Licensees))
		}
		if p.Frozen {
			fmt.Fprintf(w, ", FROZEN by %s", strings.Join(p.FrozenBy, ","))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nHolds (%d)\n", len(r.Holds))
	for _, h := range r.Holds {
		state := "in force"
		if !h.InForce {
			state = fmt.Sprintf("released at height %d by %s", h.Released, h.ReleasedBy)
		}
		fmt.Fprintf(w, "  %s on %s %s by %s at height %d (%s): %s\n", h.ID, h.Kind, h.Target, h.By, h.Height, h.Reason, state)
	}
	fmt.Fprintf(w, "\nRegulators: %s\n", strings.Join(addrs(r.Regulators), ", "))
	for _, p := range r.RegulatorChanges {
		fmt.Fprintf(w, "  proposal %s: %s %s by %s, %s with %d votes\n", p.ID, p.Change, p.Address, p.Proposer, p.Status, len(p.Votes))
	}
	fmt.Fprintf(w, "\nEpsilon spent\n")
	for _, g := range r.Grants {
		fmt.Fprintf(w, "  grant %s: %s of %s\n", g.ID, g.EpsilonSpent, g.Epsilon)
	}
	for _, d := range r.Datasets {
		fmt.Fprintf(w, "  dataset %s: %s of %s\n", d.ID, d.EpsilonSpent, orDash(d.EpsilonTotal))
	}
	fmt.Fprintf(w, "\nCredit supply: balances %d + escrow %d + fees burned %d = %d, credits handed out %d: conserved %v\n",
		r.Supply.Balances, r.Supply.Escrow, r.Supply.Fees, r.Supply.Balances+r.Supply.Escrow+r.Supply.Fees, r.Supply.Opening, r.Supply.Conserved)
	fmt.Fprintf(w, "\nPayments (%d)\n", len(r.Payments))
	for _, p := range r.Payments {
		fmt.Fprintf(w, "  #%d %-7s %4d credits  %s -> %s  (computation %s, height %d)\n",
			p.Seq, p.Kind, p.Amount, orNone(string(p.From)), orNone(string(p.To)), p.Computation, p.Height)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "\nFindings (%d)\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
}

// orNone names the escrow account, which has no address.
func orNone(s string) string {
	if s == "" {
		return "escrow"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func addrs(as []rights.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}
