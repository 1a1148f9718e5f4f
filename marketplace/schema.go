package marketplace

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/dxplabs/dxp/rights"
)

// maxScale keeps every scaled value of a column inside int64: 10^18 < 2^63.
const maxScale = 18

// Schema declares a dataset's columns. It is read from JSON such as
//
//	{"columns":[{"name":"age","type":"integer","min":0,"max":120},
//	            {"name":"income","type":"decimal","scale":2,"min":0,"max":1000000}]}
//
// Bounds are written in the column's natural units; they are kept as scaled integers. A column may
// declare "bin", the width of its frequency table's bins for histograms, in the same units
// (default: the smallest width that fits [min, max] into one ciphertext; see binWidth).
type Schema struct {
	Columns []ColumnSchema
}

// ColumnSchema is one declared column. Min and Max are scaled: value × 10^Scale.
type ColumnSchema struct {
	Name     string
	Type     rights.ColumnType
	Scale    uint32
	Min, Max int64
	Bin      int64 // scaled; 0: the default (binWidth)
}

type schemaJSON struct {
	Columns []struct {
		Name  string          `json:"name"`
		Type  string          `json:"type"`
		Scale *uint32         `json:"scale"`
		Min   json.RawMessage `json:"min"`
		Max   json.RawMessage `json:"max"`
		Bin   json.RawMessage `json:"bin"`
	} `json:"columns"`
}

// ParseSchema reads and validates a schema document.
func ParseSchema(r io.Reader) (*Schema, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var raw schemaJSON
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("schema is not valid JSON of the form {\"columns\":[{\"name\":…,\"type\":…,\"min\":…,\"max\":…}]}: %w", err)
	}
	if len(raw.Columns) == 0 {
		return nil, errors.New("schema declares no columns")
	}
	s := &Schema{}
	seen := map[string]bool{}
	for i, c := range raw.Columns {
		name := strings.TrimSpace(c.Name)
		if name == "" {
			return nil, fmt.Errorf("schema column %d has no name", i+1)
		}
		if len(name) > 64 {
			return nil, fmt.Errorf("schema column %q: names are at most 64 characters", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("schema declares column %q twice", name)
		}
		seen[name] = true
		col := ColumnSchema{Name: name, Type: rights.ColumnType(c.Type)}
		switch col.Type {
		case rights.TypeInteger:
			if c.Scale != nil && *c.Scale != 0 {
				return nil, fmt.Errorf("schema column %q: an integer column has no scale", name)
			}
		case rights.TypeDecimal:
			if c.Scale == nil || *c.Scale < 1 || *c.Scale > maxScale {
				return nil, fmt.Errorf("schema column %q: a decimal column needs a scale from 1 to %d (digits after the point)", name, maxScale)
			}
			col.Scale = *c.Scale
		default:
			return nil, fmt.Errorf("schema column %q: type %q is not one of integer, decimal", name, c.Type)
		}
		var err error
		if col.Min, err = parseBound(c.Min, col.Scale); err != nil {
			return nil, fmt.Errorf("schema column %q: min: %w", name, err)
		}
		if col.Max, err = parseBound(c.Max, col.Scale); err != nil {
			return nil, fmt.Errorf("schema column %q: max: %w", name, err)
		}
		if col.Min > col.Max {
			return nil, fmt.Errorf("schema column %q: min is greater than max", name)
		}
		if len(c.Bin) > 0 && string(c.Bin) != "null" {
			if col.Bin, err = parseBound(c.Bin, col.Scale); err != nil {
				return nil, fmt.Errorf("schema column %q: bin: %w", name, err)
			}
			if col.Bin <= 0 {
				return nil, fmt.Errorf("schema column %q: bin must be positive", name)
			}
		}
		s.Columns = append(s.Columns, col)
	}
	return s, nil
}

func parseBound(raw json.RawMessage, scale uint32) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, errors.New("is missing; every column declares its bounds")
	}
	text := string(raw)
	// Bounds may be written as JSON numbers or as strings; exponents are not accepted.
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, err
		}
	}
	return ParseValue(text, scale)
}

// ParseValue reads a plain decimal ("-12", "3.5") as an integer scaled by 10^scale. It refuses
// more decimal places than scale, exponents, and magnitudes that do not fit in int64.
func ParseValue(s string, scale uint32) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("missing value")
	}
	neg := false
	body := s
	if body[0] == '-' || body[0] == '+' {
		neg = body[0] == '-'
		body = body[1:]
	}
	whole, frac, hasPoint := strings.Cut(body, ".")
	if whole == "" && frac == "" || hasPoint && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if uint32(len(frac)) > scale {
		if scale == 0 {
			return 0, fmt.Errorf("%q is not an integer", s)
		}
		return 0, fmt.Errorf("%q has %d decimal places, the schema allows %d", s, len(frac), scale)
	}
	digits := whole + frac + strings.Repeat("0", int(scale)-len(frac))
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if neg {
		v.Neg(v)
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return v.Int64(), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatValue writes a scaled integer back in natural units with exactly scale decimals.
func FormatValue(v *big.Int, scale uint32) string {
	if scale == 0 {
		return v.String()
	}
	r := new(big.Rat).SetFrac(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	return r.FloatString(int(scale))
}

// Table is a validated CSV: one slice of scaled values per schema column, in schema order.
type Table struct {
	Schema *Schema
	Rows   int
	Values [][]int64
}

// CSV writes the table back as CSV with a header, each value in its column's natural units, so
// that ReadTable of the result gives the same table.
func (t *Table) CSV() []byte {
	var b strings.Builder
	for i, c := range t.Schema.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Name)
	}
	b.WriteByte('\n')
	v := new(big.Int)
	for r := 0; r < t.Rows; r++ {
		for i, c := range t.Schema.Columns {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(FormatValue(v.SetInt64(t.Values[i][r]), c.Scale))
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// RowError names the line and column of a bad CSV value.
type RowError struct {
	File   string
	Line   int
	Column string
	Err    error
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s line %d, column %s: %v", e.File, e.Line, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// RowReader reads a CSV with a header row one row at a time, checking every value against the
// schema. It holds one row in memory, so a file of any size can be checked or encoded.
type RowReader struct {
	name   string
	schema *Schema
	cr     *csv.Reader
	header int   // number of header fields
	index  []int // schema column -> CSV field
	row    []int64
	rows   int
}

// NewRowReader reads the header of r and checks it names exactly the schema's columns, in any
// order. name is used in error messages.
func NewRowReader(name string, r io.Reader, s *Schema) (*RowReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, so the error can say which line and how many
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s is empty; it needs a header row naming the columns", name)
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	index := make([]int, len(s.Columns))
	for i := range index {
		index[i] = -1
	}
	byName := map[string]int{}
	for i, c := range s.Columns {
		byName[c.Name] = i
	}
	for f, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		ci, ok := byName[h]
		if !ok {
			return nil, &RowError{File: name, Line: 1, Err: fmt.Errorf("header names column %q, which the schema does not declare", h)}
		}
		if index[ci] >= 0 {
			return nil, &RowError{File: name, Line: 1, Err: fmt.Errorf("header names column %q twice", h)}
		}
		index[ci] = f
	}
	for ci, f := range index {
		if f < 0 {
			return nil, &RowError{File: name, Line: 1, Err: fmt.Errorf("header lacks column %q, which the schema declares", s.Columns[ci].Name)}
		}
	}
	return &RowReader{name: name, schema: s, cr: cr, header: len(header), index: index, row: make([]int64, len(s.Columns))}, nil
}

// Next returns the next row's scaled values in schema order, or io.EOF after the last row. The
// slice is reused by the next call. A bad row gives a *RowError naming its line and column.
func (r *RowReader) Next() ([]int64, error) {
	rec, err := r.cr.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, csvError(r.name, err)
	}
	line, _ := r.cr.FieldPos(0)
	if len(rec) != r.header {
		return nil, &RowError{File: r.name, Line: line, Err: fmt.Errorf("has %d fields, the header has %d", len(rec), r.header)}
	}
	for ci, c := range r.schema.Columns {
		v, err := ParseValue(rec[r.index[ci]], c.Scale)
		if err == nil && (v < c.Min || v > c.Max) {
			err = fmt.Errorf("%s is outside the declared bounds [%s, %s]", strings.TrimSpace(rec[r.index[ci]]),
				FormatValue(big.NewInt(c.Min), c.Scale), FormatValue(big.NewInt(c.Max), c.Scale))
		}
		if err != nil {
			return nil, &RowError{File: r.name, Line: line, Column: c.Name, Err: err}
		}
		r.row[ci] = v
	}
	r.rows++
	return r.row, nil
}

// Rows returns how many rows Next has returned.
func (r *RowReader) Rows() int { return r.rows }

// ReadTable reads a whole CSV into memory, checking every row (see RowReader). Publishing does
// not need it: it streams the file twice instead.
func ReadTable(name string, r io.Reader, s *Schema) (*Table, error) {
	rr, err := NewRowReader(name, r, s)
	if err != nil {
		return nil, err
	}
	t := &Table{Schema: s, Values: make([][]int64, len(s.Columns))}
	for {
		row, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for ci, v := range row {
			t.Values[ci] = append(t.Values[ci], v)
		}
	}
	t.Rows = rr.Rows()
	if t.Rows == 0 {
		return nil, fmt.Errorf("%s has a header but no rows", name)
	}
	return t, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{File: name, Line: pe.Line, Err: pe.Err}
	}
	return fmt.Errorf("read %s: %w", name, err)
}
