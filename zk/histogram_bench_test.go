package zk_test

import (
	"fmt"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/zk"
)

// BenchmarkHistogramCompile compiles, at mpc's parameters for N = 1,024
// (insecure, devnet) and N = 16,384 slots, a 32-bit column at
// mpc.InputLevel (two CRT groups), the plain input circuit and its
// histogram column side (K = N bins, as mpc's frequency table) and table
// side, and reports the constraints each side adds per row. Minutes of
// CPU and gigabytes at N = 16,384; run it on its own:
//
//	go test -run - -bench HistogramCompile -benchtime 1x ./zk/
func BenchmarkHistogramCompile(b *testing.B) {
	for _, slots := range []uint64{1 << 10, 1 << 14} {
		b.Run(fmt.Sprintf("N=%d", slots), func(b *testing.B) {
			params, err := mpc.NewParamsFor(slots)
			if err != nil {
				b.Fatal(err)
			}
			_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
			_, lay := mpcInputLayout(b, params, pk, mpc.InputLevel, benchInputWidth)
			col, err := lay.WithHistogramColumn(params.N())
			if err != nil {
				b.Fatal(err)
			}
			tab, err := lay.WithHistogramTable()
			if err != nil {
				b.Fatal(err)
			}
			n := float64(params.N())
			for range b.N {
				plain, err := zk.CompileInput(lay)
				if err != nil {
					b.Fatal(err)
				}
				colCS, err := zk.CompileInput(col)
				if err != nil {
					b.Fatal(err)
				}
				tabCS, err := zk.CompileInput(tab)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(plain.GetNbConstraints())/n, "input/row")
				b.ReportMetric(float64(colCS.GetNbConstraints()-plain.GetNbConstraints())/n, "column-side/row")
				b.ReportMetric(float64(tabCS.GetNbConstraints()-plain.GetNbConstraints())/n, "table-side/row")
				b.ReportMetric(float64(col.Histogram.LimbBits), "limb-bits")
			}
		})
	}
}
