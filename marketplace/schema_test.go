package marketplace

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/rights"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		in      string
		scale   uint32
		want    int64
		wantErr string
	}{
		{"0", 0, 0, ""},
		{"42", 0, 42, ""},
		{"-42", 0, -42, ""},
		{"+7", 0, 7, ""},
		{" 12 ", 0, 12, ""},
		{"12.5", 2, 1250, ""},
		{"12.50", 2, 1250, ""},
		{"-0.01", 2, -1, ""},
		{".5", 1, 5, ""},
		{"1000000.00", 2, 100000000, ""},
		{"9223372036854775807", 0, 9223372036854775807, ""},
		{"", 0, 0, "missing value"},
		{"abc", 0, 0, "not a number"},
		{"1e5", 0, 0, "not a number"},
		{"12.", 2, 0, "not a number"},
		{"-", 0, 0, "not a number"},
		{"1.5", 0, 0, "not an integer"},
		{"12.345", 2, 0, "3 decimal places, the schema allows 2"},
		{"9223372036854775808", 0, 0, "too large"},
		{"1,5", 1, 0, "not a number"},
	}
	for _, tt := range tests {
		got, err := ParseValue(tt.in, tt.scale)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseValue(%q, %d) error = %v, want one containing %q", tt.in, tt.scale, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseValue(%q, %d) = %d, %v, want %d", tt.in, tt.scale, got, err, tt.want)
		}
	}
}

func TestFormatValueRoundTrips(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 99, -100, 123456789, -987654321} {
		for _, scale := range []uint32{0, 1, 2, 6} {
			s := FormatValue(big.NewInt(v), scale)
			back, err := ParseValue(s, scale)
			if err != nil || back != v {
				t.Errorf("ParseValue(FormatValue(%d, %d) = %q) = %d, %v", v, scale, s, back, err)
			}
		}
	}
}

// ageIncomeSchema is the demo's schema (devnet/demo.go): an integer and a decimal column.
const ageIncomeSchema = `{"columns":[
 {"name":"age","type":"integer","min":0,"max":120},
 {"name":"income","type":"decimal","scale":2,"min":0,"max":1000000}]}`

func TestParseSchema(t *testing.T) {
	s, err := ParseSchema(strings.NewReader(ageIncomeSchema))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Columns[1]; got.Name != "income" || got.Scale != 2 || got.Min != 0 || got.Max != 100000000 {
		t.Errorf("income column = %+v, want scale 2, bounds [0, 100000000]", got)
	}
	bad := []struct{ doc, wantErr string }{
		{`{}`, "no columns"},
		{`{"columns":[]}`, "no columns"},
		{`not json`, "not valid JSON"},
		{`{"columns":[{"name":"a","type":"integer","min":0,"max":1}],"extra":1}`, "not valid JSON"},
		{`{"columns":[{"name":"","type":"integer","min":0,"max":1}]}`, "has no name"},
		{`{"columns":[{"name":"a","type":"float","min":0,"max":1}]}`, `type "float"`},
		{`{"columns":[{"name":"a","type":"decimal","min":0,"max":1}]}`, "needs a scale"},
		{`{"columns":[{"name":"a","type":"decimal","scale":19,"min":0,"max":1}]}`, "needs a scale"},
		{`{"columns":[{"name":"a","type":"integer","scale":2,"min":0,"max":1}]}`, "has no scale"},
		{`{"columns":[{"name":"a","type":"integer","max":1}]}`, "min: is missing"},
		{`{"columns":[{"name":"a","type":"integer","min":5,"max":1}]}`, "greater than max"},
		{`{"columns":[{"name":"a","type":"integer","min":0.5,"max":1}]}`, "not an integer"},
		{`{"columns":[{"name":"a","type":"integer","min":0,"max":1},{"name":"a","type":"integer","min":0,"max":1}]}`, "twice"},
	}
	for _, b := range bad {
		if _, err := ParseSchema(strings.NewReader(b.doc)); err == nil || !strings.Contains(err.Error(), b.wantErr) {
			t.Errorf("ParseSchema(%s) error = %v, want one containing %q", b.doc, err, b.wantErr)
		}
	}
}

func TestReadTable(t *testing.T) {
	s, err := ParseSchema(strings.NewReader(ageIncomeSchema))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := ReadTable("ok.csv", strings.NewReader("income,age\n10.5,30\n0,120\n"), s)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 2 || tab.Values[0][1] != 120 || tab.Values[1][0] != 1050 {
		t.Errorf("ReadTable = %+v, want columns in schema order", tab)
	}
	bad := []struct {
		csv        string
		line       int
		column     string
		wantInText string
	}{
		{"age,income\n30,10\n31\n", 3, "", "has 1 fields, the header has 2"},
		{"age,income\n30,\n", 2, "income", "missing value"},
		{"age,income\n30,ten\n", 2, "income", "not a number"},
		{"age,income\n30,1.005\n", 2, "income", "3 decimal places"},
		{"age,income\n30,1\n121,1\n", 3, "age", "outside the declared bounds [0, 120]"},
		{"age,income\n30,-0.01\n", 2, "income", "outside the declared bounds [0.00, 1000000.00]"},
		{"age,income,zip\n30,1,5\n", 1, "", `"zip", which the schema does not declare`},
		{"age\n30\n", 1, "", `lacks column "income"`},
		{"age,age\n30,30\n", 1, "", "twice"},
		{"age,income\n\"30,1\n", 2, "", "quote"},
	}
	for _, b := range bad {
		_, err := ReadTable("data.csv", strings.NewReader(b.csv), s)
		var re *RowError
		if !errors.As(err, &re) || re.Line != b.line || re.Column != b.column || !strings.Contains(err.Error(), b.wantInText) {
			t.Errorf("ReadTable(%q) error = %v, want line %d column %q containing %q", b.csv, err, b.line, b.column, b.wantInText)
		}
	}
	for _, empty := range []string{"", "age,income\n"} {
		if _, err := ReadTable("data.csv", strings.NewReader(empty), s); err == nil {
			t.Errorf("ReadTable(%q) accepted a table with no rows", empty)
		}
	}
}

func TestFormatResult(t *testing.T) {
	tests := []struct {
		op    string
		total int64
		rows  uint64
		scale uint32
		want  string
	}{
		{"sum", 123456, 3, 2, "1234.56"},
		{"sum", -5, 3, 2, "-0.05"},
		{"mean", 100, 3, 0, "33.333333"},
		{"mean", 200, 3, 0, "66.666667"},
		{"mean", 1234567, 7, 2, "1763.667143"},
		{"count", 0, 7, 2, "7"},
	}
	for _, tt := range tests {
		if got := FormatResult(opOf(tt.op), big.NewInt(tt.total), tt.rows, tt.scale); got != tt.want {
			t.Errorf("FormatResult(%s, %d, %d, %d) = %s, want %s", tt.op, tt.total, tt.rows, tt.scale, got, tt.want)
		}
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"0", "-12.5", "1e5", "99999999999999999999", ".", "+.1"} {
		f.Add(s, uint32(2))
	}
	f.Fuzz(func(t *testing.T, s string, scale uint32) {
		scale %= maxScale + 1
		v, err := ParseValue(s, scale)
		if err != nil {
			return
		}
		back, err := ParseValue(FormatValue(big.NewInt(v), scale), scale)
		if err != nil || back != v {
			t.Fatalf("ParseValue(%q) = %d does not round-trip: %d, %v", s, v, back, err)
		}
	})
}

func opOf(s string) rights.Op { return rights.Op(s) }

func TestFormatValuesVariance(t *testing.T) {
	// Values 1, 2, 3, 4 (scale 0): Σx = 10, Σx² = 30, population variance 1.25, stddev √1.25.
	sums := []*big.Int{big.NewInt(10), big.NewInt(30)}
	if got := FormatValues(rights.OpVariance, sums, 4, 0); got != "1.250000" {
		t.Errorf("variance = %s, want 1.250000", got)
	}
	if got := FormatValues(rights.OpStddev, sums, 4, 0); got != "1.118034" {
		t.Errorf("stddev = %s, want 1.118034", got)
	}
	// The same values at scale 2 (0.01 … 0.04): variance 0.000125, printed with 2·scale ≥ 6 places.
	if got := FormatValues(rights.OpVariance, sums, 4, 2); got != "0.000125" {
		t.Errorf("variance at scale 2 = %s, want 0.000125", got)
	}
	// Noise can push a variance below zero; the standard deviation is then 0, not an error.
	neg := []*big.Int{big.NewInt(10), big.NewInt(20)}
	if got := FormatValues(rights.OpStddev, neg, 4, 0); got != "0.000000" {
		t.Errorf("stddev of a negative variance = %s, want 0.000000", got)
	}
}
