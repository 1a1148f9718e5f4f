package marketplace

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

// regressionStats is mpc's regression layout computed in the clear: Σz_a, then Σz_a·z_b for a ≤ b.
func regressionStats(cols [][]int64) []*big.Int {
	var out []*big.Int
	for _, c := range cols {
		s := new(big.Int)
		for _, v := range c {
			s.Add(s, big.NewInt(v))
		}
		out = append(out, s)
	}
	for a := range cols {
		for b := a; b < len(cols); b++ {
			s := new(big.Int)
			for i := range cols[a] {
				s.Add(s, big.NewInt(cols[a][i]*cols[b][i]))
			}
			out = append(out, s)
		}
	}
	return out
}

func TestSolveRegression(t *testing.T) {
	// y = 7 − 3·x1 + x2/2, exactly, over rows where x1 and x2 are not collinear.
	x1 := []int64{1, 2, 3, 4, 5, 6}
	x2 := []int64{4, 0, 2, 8, 6, 2}
	y := make([]int64, len(x1))
	for i := range y {
		y[i] = 14 - 6*x1[i] + x2[i] // 2·y, so it is an integer; the scales below halve it
	}
	beta, err := SolveRegression(regressionStats([][]int64{x1, x2, y}), uint64(len(y)), []string{"x1", "x2", "y"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[14/1 -6/1 1/1]"; fmt.Sprint(beta) != want {
		t.Errorf("SolveRegression = %v, want %v", beta, want)
	}
	// y is stored with one decimal place (2·y = 14 − 6·x1 + x2 read as tenths would be wrong):
	// with scales x1: 0, x2: 1, y: 1 the coefficients in natural units are 1.4, −0.6, 1.
	cs := regressionCoefficients(beta, []string{"x1", "x2", "y"}, []uint32{0, 1, 1})
	if got := formatRegression("y", cs); got != "y = 1.400000 - 0.600000·x1 + 1.000000·x2" {
		t.Errorf("formatted = %q", got)
	}

	// A constant feature is singular with the intercept; a feature that copies another too.
	for _, tc := range []struct {
		cols [][]int64
		name string
	}{
		{[][]int64{{3, 3, 3, 3}, {1, 2, 3, 4}}, `column "c"`},
		{[][]int64{{1, 2, 3, 4}, {2, 4, 6, 8}, {1, 0, 1, 0}}, `column "d"`},
	} {
		names := []string{"c", "d", "e"}[:len(tc.cols)]
		_, err := SolveRegression(regressionStats(tc.cols), 4, names)
		if !errors.Is(err, ErrSingular) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("SolveRegression(%v) = %v, want ErrSingular naming %s", tc.cols, err, tc.name)
		}
	}
	if _, err := SolveRegression(regressionStats([][]int64{x1, y}), 6, []string{"x1", "x2", "y"}); err == nil {
		t.Error("SolveRegression with too few values for its columns: no error")
	}
}

func TestReadWeights(t *testing.T) {
	w, err := ReadWeights(strings.NewReader("1, -2.5\n3\t0.25\n"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(w.Values) != "[100 -250 300 25]" || w.Scale != 2 || w.bound() != 300 {
		t.Errorf("ReadWeights = %v scale %d bound %d, want [100 -250 300 25] scale 2 bound 300", w.Values, w.Scale, w.bound())
	}
	for _, bad := range []string{"", "1,x", "1e3", "0.1234567890123456789"} {
		if _, err := ReadWeights(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadWeights(%q): no error", bad)
		}
	}
}
