package marketplace

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/spec"
	"github.com/dxplabs/dxp/storage"
)

// Histograms and noisy counts read a column's frequency table, not its rows: at publish every
// column's values are counted bin by bin (bins of the schema's "bin" width from the column's Min)
// and the counts encrypted as one ciphertext; its digest, Min and Bin go on chain with the column.
// The committee adds the tables of pooled datasets slot by slot and sums the bins of each bucket,
// so bucket edges must sit on bin boundaries.

// binWidth is a column's frequency-table bin width: the schema's, or else the smallest width that
// fits [Min, Max] into slots bins.
func binWidth(c ColumnSchema, slots int) (int64, error) {
	if c.Bin == 0 {
		b, err := mpc.DefaultBin(c.Min, c.Max, slots)
		if err != nil {
			return 0, fmt.Errorf("column %s: %w", c.Name, err)
		}
		return b, nil
	}
	if err := mpc.CheckBin(c.Min, c.Max, c.Bin, slots); err != nil {
		least, _ := mpc.DefaultBin(c.Min, c.Max, slots)
		return 0, fmt.Errorf("column %s: bin %s is too narrow: [%s, %s] would need more than %d bins, one per ciphertext slot; declare a bin of at least %s",
			c.Name, FormatValue(big.NewInt(c.Bin), c.Scale), FormatValue(big.NewInt(c.Min), c.Scale), FormatValue(big.NewInt(c.Max), c.Scale),
			slots, FormatValue(big.NewInt(least), c.Scale))
	}
	return c.Bin, nil
}

// FrequencyTables counts every column of a schema bin by bin as its values stream past, then
// encrypts and uploads one table per column. A publisher that reads rows in chunks calls Add for
// each chunk of each column and Upload once at the end. Not safe for concurrent use.
type FrequencyTables struct {
	schema *Schema
	tables []*mpc.FrequencyTable
	bins   []int64
}

// NewFrequencyTables returns empty tables for every column of s, slots bins each.
func NewFrequencyTables(s *Schema, slots int) (*FrequencyTables, error) {
	f := &FrequencyTables{schema: s}
	for _, c := range s.Columns {
		bin, err := binWidth(c, slots)
		if err != nil {
			return nil, err
		}
		t, err := mpc.NewFrequencyTable(c.Min, bin, slots)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		f.tables, f.bins = append(f.tables, t), append(f.bins, bin)
	}
	return f, nil
}

// Add counts values of column col (its index in the schema).
func (f *FrequencyTables) Add(col int, values []int64) error {
	if col < 0 || col >= len(f.tables) {
		return fmt.Errorf("frequency tables: column %d of %d", col, len(f.tables))
	}
	for _, v := range values {
		if err := f.tables[col].Add(v); err != nil {
			return fmt.Errorf("column %s: %w", f.schema.Columns[col].Name, err)
		}
	}
	return nil
}

// Upload encrypts every table under the committee's public key, puts it in storage, and returns
// what the chain records for each column, in schema order.
func (f *FrequencyTables) Upload(ctx context.Context, bucket storage.Bucket, params heint.Parameters, pk *rlwe.PublicKey) ([]*rights.FrequencyTable, error) {
	out := make([]*rights.FrequencyTable, len(f.tables))
	for i, t := range f.tables {
		c := f.schema.Columns[i]
		ct, err := t.Encrypt(params, pk)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		d, err := storage.PutBytes(ctx, bucket, ct)
		if err != nil {
			return nil, fmt.Errorf("upload the frequency table of column %s: %w", c.Name, err)
		}
		out[i] = &rights.FrequencyTable{Table: rights.Digest(d), Min: c.Min, Bin: f.bins[i]}
	}
	return out, nil
}

// pooledFrequencies returns the frequency table shape column name shares over datasets, with
// the column's pooled bounds and scale, or why a histogram or noisy count cannot use it.
func pooledFrequencies(datasets []*rights.Dataset, name string) (f *rights.FrequencyTable, lo, hi int64, scale uint32, err error) {
	for i, ds := range datasets {
		col := findColumn(ds, name)
		if col == nil {
			return nil, 0, 0, 0, fmt.Errorf("dataset %s has no column %q", ds.ID, name)
		}
		if col.Frequencies == nil {
			return nil, 0, 0, 0, fmt.Errorf("column %q of dataset %s has no frequency table (it was published before histograms), so the committee cannot compute a histogram or a noisy count over it", name, ds.ID)
		}
		if i == 0 {
			f, lo, hi, scale = col.Frequencies, col.Min, col.Max, col.Scale
			continue
		}
		if col.Frequencies.Min != f.Min || col.Frequencies.Bin != f.Bin {
			return nil, 0, 0, 0, fmt.Errorf("the frequency tables of column %q differ between datasets %s and %s (bins of %d from %d, and of %d from %d), so they cannot be pooled",
				name, datasets[0].ID, ds.ID, f.Bin, f.Min, col.Frequencies.Bin, col.Frequencies.Min)
		}
		lo, hi = min(lo, col.Min), max(hi, col.Max)
	}
	return f, lo, hi, scale, nil
}

// histogramEdges reads bucket edges written in the column's units and checks them as the chain
// will (spec's rules): 2 to spec.MaxHistogramBuckets+1 of them, strictly increasing, each on a
// bin boundary of the frequency table and within the bins that hold the column's values.
func histogramEdges(datasets []*rights.Dataset, name string, edges []string) ([]int64, error) {
	f, lo, hi, scale, err := pooledFrequencies(datasets, name)
	if err != nil {
		return nil, err
	}
	if err := spec.CheckEdgeCount(len(edges)); err != nil {
		return nil, err
	}
	unit := func(v int64) string { return FormatValue(big.NewInt(v), scale) }
	first, last := spec.BinSpan(f.Min, f.Bin, lo, hi)
	out := make([]int64, len(edges))
	for i, s := range edges {
		v, err := ParseValue(s, scale)
		if err != nil {
			return nil, fmt.Errorf("histogram edge %d: %w", i+1, err)
		}
		if i > 0 && v <= out[i-1] {
			return nil, fmt.Errorf("histogram edges must be strictly increasing, and %s follows %s", unit(v), unit(out[i-1]))
		}
		bv := big.NewInt(v)
		if !spec.OnBin(v, f.Min, f.Bin) {
			return nil, fmt.Errorf("histogram edge %s of column %q is not on a bin boundary: its frequency table has bins of width %s from %s, so edges are %s plus a multiple of %s",
				unit(v), name, unit(f.Bin), unit(f.Min), unit(f.Min), unit(f.Bin))
		}
		if bv.Cmp(first) < 0 || bv.Cmp(last) > 0 {
			return nil, fmt.Errorf("histogram edge %s of column %q lies outside [%s, %s], the bins that hold its values [%s, %s]",
				unit(v), name, FormatValue(first, scale), FormatValue(last, scale), unit(lo), unit(hi))
		}
		out[i] = v
	}
	return out, nil
}

// histogramInput is the committee's input for a histogram or a noisy count: the datasets'
// frequency tables in dataset order, their shape, and the buckets (none for a count).
func histogramInput(ctx context.Context, dataset func(context.Context, string) (*rights.Dataset, error), c *rights.Computation) (*mpc.HistogramInput, error) {
	if len(c.Columns) != 1 {
		return nil, fmt.Errorf("a %s takes one column, got %d", c.Op, len(c.Columns))
	}
	var datasets []*rights.Dataset
	for _, id := range c.Datasets {
		ds, err := dataset(ctx, id)
		if err != nil {
			return nil, err
		}
		datasets = append(datasets, ds)
	}
	f, _, _, _, err := pooledFrequencies(datasets, c.Columns[0])
	if err != nil {
		return nil, err
	}
	h := &mpc.HistogramInput{Min: f.Min, Bin: f.Bin, Edges: c.Edges}
	for _, ds := range datasets {
		h.Tables = append(h.Tables, findColumn(ds, c.Columns[0]).Frequencies.Table)
	}
	return h, nil
}

// Bucket is one bucket of a histogram: the count of values in [From, To), in the column's units.
type Bucket struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count string `json:"count"`
}

// histogramBuckets pairs decrypted counts with their edges.
func histogramBuckets(edges []int64, counts []*big.Int, scale uint32) []Bucket {
	out := make([]Bucket, len(counts))
	for b, n := range counts {
		out[b] = Bucket{From: FormatValue(big.NewInt(edges[b]), scale), To: FormatValue(big.NewInt(edges[b+1]), scale), Count: n.String()}
	}
	return out
}

// formatBuckets writes buckets on one line: "[0, 10): 4; [10, 20): 7".
func formatBuckets(bs []Bucket) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprintf("[%s, %s): %s", b.From, b.To, b.Count)
	}
	return strings.Join(parts, "; ")
}
