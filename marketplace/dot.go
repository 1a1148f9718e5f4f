package marketplace

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
)

// Weights is a dot product's weight vector: one weight per row of the grant's datasets, the
// datasets in the grant's order and each one's rows in order (pooled rows concatenate), as
// integers scaled by 10^Scale.
type Weights struct {
	Values []int64
	Scale  uint32
}

// maxWeights bounds a weights file: more than any listing a devnet holds, small enough to read.
const maxWeights = 1 << 26

// ReadWeights reads a weight vector: numbers separated by newlines, commas, tabs or spaces, written
// like CSV values ("-3", "0.25"). Its scale is the most decimal places any weight has.
func ReadWeights(r io.Reader) (*Weights, error) {
	var words []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		for _, f := range strings.FieldsFunc(sc.Text(), func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\r' }) {
			words = append(words, f)
			if len(words) > maxWeights {
				return nil, fmt.Errorf("the weights hold more than %d values", maxWeights)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the weights (line %d): %w", line+1, err)
	}
	if len(words) == 0 {
		return nil, errors.New("the weights hold no values")
	}
	w := &Weights{}
	for _, s := range words {
		if _, frac, ok := strings.Cut(s, "."); ok {
			w.Scale = max(w.Scale, uint32(len(frac)))
		}
	}
	if w.Scale > maxScale {
		return nil, fmt.Errorf("a weight has %d decimal places, at most %d are allowed", w.Scale, maxScale)
	}
	w.Values = make([]int64, len(words))
	for i, s := range words {
		v, err := ParseValue(s, w.Scale)
		if err != nil {
			return nil, fmt.Errorf("weight %d: %w", i+1, err)
		}
		w.Values[i] = v
	}
	return w, nil
}

// bound is the largest weight magnitude, at least 1: what the chain's overflow rule multiplies by.
func (w *Weights) bound() uint64 {
	b := big.NewInt(1)
	for _, v := range w.Values {
		if a := new(big.Int).Abs(big.NewInt(v)); a.Cmp(b) > 0 {
			b = a
		}
	}
	return b.Uint64()
}

// checkRows refuses weights whose count is not the datasets' row count.
func (w *Weights) checkRows(datasets []*rights.Dataset) error {
	var rows uint64
	parts := make([]string, len(datasets))
	for i, ds := range datasets {
		rows += ds.Rows
		parts[i] = fmt.Sprintf("%s: %d", ds.ID, ds.Rows)
	}
	if uint64(len(w.Values)) != rows {
		return fmt.Errorf("a dot product needs one weight per row: the grant's datasets have %d rows (%s, in that order), the weights %d values", rows, strings.Join(parts, ", "), len(w.Values))
	}
	return nil
}

// uploadWeights seals the weights to the committee members' box keys (the X25519 keys they posted
// in the key ceremony; mpc.SealWeights) and puts the object in storage. It returns the object's
// digest and the commitment the request carries; each member checks the weights against it, the
// row count and the declared bound before it evaluates. The members see the weights; the owners
// and outsiders do not.
func (s *Session) uploadWeights(ctx context.Context, datasets []*rights.Dataset, w *Weights) (rights.Digest, rights.Digest, error) {
	var zero rights.Digest
	if err := w.checkRows(datasets); err != nil {
		return zero, zero, err
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return zero, zero, err
	}
	if !committee.Ready {
		return zero, zero, errors.New("the committee has not agreed its keys yet")
	}
	byMember := map[rights.Address][]rights.Digest{}
	for _, sh := range committee.Shares {
		if sh.Step == mpc.StepBox {
			byMember[sh.Member] = sh.Digests
		}
	}
	keys := make([]*[32]byte, len(committee.Members))
	for i, m := range committee.Members {
		ds := byMember[m.Address]
		if len(ds) != 1 {
			return zero, zero, fmt.Errorf("committee member %s posted no box key", m.Address)
		}
		b, err := storage.GetBytes(ctx, s.Bucket, ds[0])
		if err != nil {
			return zero, zero, fmt.Errorf("box key of member %s: %w", m.Address, err)
		}
		if len(b) != 32 {
			return zero, zero, fmt.Errorf("box key of member %s: %d bytes, want 32", m.Address, len(b))
		}
		keys[i] = (*[32]byte)(b)
	}
	obj, commitment, err := mpc.SealWeights(keys, w.Values)
	if err != nil {
		return zero, zero, err
	}
	d, err := storage.PutBytes(ctx, s.Bucket, obj)
	if err != nil {
		return zero, zero, fmt.Errorf("upload the weights: %w", err)
	}
	return rights.Digest(d), rights.Digest(commitment), nil
}
