package marketplace

import (
	"strings"
	"testing"
)

func TestSchemaBin(t *testing.T) {
	s, err := ParseSchema(strings.NewReader(`{"columns":[{"name":"h","type":"decimal","scale":1,"min":0,"max":80,"bin":"0.5"},{"name":"a","type":"integer","min":-5,"max":94}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Columns[0].Bin != 5 || s.Columns[1].Bin != 0 {
		t.Errorf("bins = %d, %d; want 5 (0.5 in tenths) and 0 (the default)", s.Columns[0].Bin, s.Columns[1].Bin)
	}
	for _, c := range []struct {
		col   ColumnSchema
		slots int
		want  int64
	}{
		{s.Columns[0], 256, 5},                                               // 161 bins of 0.5
		{s.Columns[1], 8, 13},                                                // 100 values in 8 slots
		{ColumnSchema{Name: "x", Min: 0, Max: 7}, 8, 1},                      // 8 values fit exactly
		{ColumnSchema{Name: "x", Min: -1 << 63, Max: 1<<63 - 1}, 8, 1 << 61}, // the widest range
	} {
		if got, err := binWidth(c.col, c.slots); err != nil || got != c.want {
			t.Errorf("binWidth(%+v, %d) = %d, %v; want %d", c.col, c.slots, got, err, c.want)
		}
	}
	if _, err := binWidth(ColumnSchema{Name: "x", Min: 0, Max: 99, Bin: 12}, 8); err == nil || !strings.Contains(err.Error(), "declare a bin of at least 13") {
		t.Errorf("binWidth with a bin too narrow: %v, want a refusal naming 13", err)
	}
	for _, bad := range []string{`0`, `-1`, `"0.05"`} {
		doc := `{"columns":[{"name":"h","type":"decimal","scale":1,"min":0,"max":80,"bin":` + bad + `}]}`
		if _, err := ParseSchema(strings.NewReader(doc)); err == nil {
			t.Errorf("ParseSchema with bin %s: no error", bad)
		}
	}
}
