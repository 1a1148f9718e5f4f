package mpc

import "testing"

func TestZZSizes(t *testing.T) {
	p, _ := NewParams()
	for l := 3; l <= 5; l++ {
		t.Logf("level %d: %d bytes", l, ciphertextSize(p, l))
	}
}
