package marketplace

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/dxplabs/dxp/spec"
)

// A regression's committee output is its sufficient statistics over the columns z_0..z_d (the
// features x_1..x_d, then the target y): Σz_a for every column, then Σz_a·z_b for a ≤ b
// (spec.Layout). With the row count n, which the chain records, they make the normal equations of
// y = β_0 + β_1·x_1 + ... + β_d·x_d:
//
//	XᵀX = [[n, Σx_j], [Σx_i, Σx_i·x_j]]    Xᵀy = [Σy, Σx_i·y]
//
// which the buyer's client solves exactly, in rationals.

// Coefficient is one fitted coefficient of a regression, in the columns' natural units.
type Coefficient struct {
	Name  string `json:"name"` // "intercept", or the feature column
	Value string `json:"value"`
}

// ErrSingular is returned when XᵀX has no inverse, so the coefficients are not determined.
var ErrSingular = errors.New("XᵀX is singular")

// SolveRegression solves the normal equations from a regression's decrypted output values over
// columns (the features, then the target) and n rows, exactly. The coefficients are in scaled
// units: the intercept's in the target's, feature j's in the target's per feature j's.
func SolveRegression(values []*big.Int, rows uint64, columns []string) ([]*big.Rat, error) {
	d := len(columns)
	if d < 2 {
		return nil, fmt.Errorf("a regression needs at least one feature and a target, got %d columns", d)
	}
	layout, err := spec.Layout(spec.OpRegression, d, 0)
	if err != nil {
		return nil, err
	}
	if len(values) != len(layout) {
		return nil, fmt.Errorf("a regression over %d columns has %d output values, got %d", d, len(layout), len(values))
	}
	at := make(map[spec.Term]*big.Int, len(layout))
	for j, t := range layout {
		at[t] = values[j]
	}
	sum := func(a int) *big.Int { return at[spec.Term{Kind: spec.Linear, A: a}] } // Σz_a
	prod := func(a, b int) *big.Int {                                             // Σz_a·z_b, a ≤ b
		return at[spec.Term{Kind: spec.Product, A: a, B: b}]
	}
	// Row i of the augmented system [XᵀX | Xᵀy]; index 0 is the intercept, i ≥ 1 feature i-1.
	p := d // unknowns: the intercept and d-1 features
	m := make([][]*big.Rat, p)
	for i := range p {
		m[i] = make([]*big.Rat, p+1)
		for j := range p {
			switch {
			case i == 0 && j == 0:
				m[i][j] = new(big.Rat).SetInt(new(big.Int).SetUint64(rows))
			case i == 0:
				m[i][j] = new(big.Rat).SetInt(sum(j - 1))
			case j == 0:
				m[i][j] = new(big.Rat).SetInt(sum(i - 1))
			default:
				m[i][j] = new(big.Rat).SetInt(prod(min(i, j)-1, max(i, j)-1))
			}
		}
		if i == 0 {
			m[i][p] = new(big.Rat).SetInt(sum(d - 1))
		} else {
			m[i][p] = new(big.Rat).SetInt(prod(i-1, d-1))
		}
	}
	name := func(i int) string {
		if i == 0 {
			return "the intercept"
		}
		return fmt.Sprintf("column %q", columns[i-1])
	}
	for c := range p {
		pivot := -1
		for r := c; r < p; r++ {
			if m[r][c].Sign() != 0 {
				pivot = r
				break
			}
		}
		if pivot < 0 {
			return nil, fmt.Errorf("%w: %s is constant or a linear combination of the other features over these rows, so the coefficients are not determined", ErrSingular, name(c))
		}
		m[c], m[pivot] = m[pivot], m[c]
		for r := range p {
			if r == c || m[r][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Quo(m[r][c], m[c][c])
			for k := c; k <= p; k++ {
				m[r][k].Sub(m[r][k], new(big.Rat).Mul(f, m[c][k]))
			}
		}
	}
	out := make([]*big.Rat, p)
	for i := range p {
		out[i] = new(big.Rat).Quo(m[i][p], m[i][i])
	}
	return out, nil
}

// regressionCoefficients turns scaled coefficients into the columns' natural units: the
// intercept divided by 10^scale(y), feature j's coefficient times 10^scale(x_j)/10^scale(y). They
// are printed with at least MeanDecimals places.
func regressionCoefficients(beta []*big.Rat, columns []string, scales []uint32) []Coefficient {
	d := len(columns)
	sy := scales[d-1]
	pow := func(s uint32) *big.Rat {
		return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil))
	}
	places := MeanDecimals
	for _, s := range scales {
		places = max(places, int(s+sy))
	}
	out := make([]Coefficient, len(beta))
	for i, b := range beta {
		v := new(big.Rat).Quo(b, pow(sy))
		name := "intercept"
		if i > 0 {
			v.Mul(v, pow(scales[i-1]))
			name = columns[i-1]
		}
		out[i] = Coefficient{Name: name, Value: v.FloatString(places)}
	}
	return out
}

// formatRegression writes "y = b0 + b1·x1 + ...".
func formatRegression(target string, cs []Coefficient) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s = %s", target, cs[0].Value)
	for _, c := range cs[1:] {
		v, sign := c.Value, "+"
		if strings.HasPrefix(v, "-") {
			v, sign = v[1:], "-"
		}
		fmt.Fprintf(&b, " %s %s·%s", sign, v, c.Name)
	}
	return b.String()
}
