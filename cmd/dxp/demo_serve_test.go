package main

import (
	"strings"
	"testing"
)

// TestDemoServeFlags checks that a bad --listen is refused before the demo starts a devnet (each
// case returns at once, with nothing made).
func TestDemoServeFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--listen", "127.0.0.1:8480"}, "--listen is for --serve"},
		{[]string{"demo", "--serve", "--listen", "0.0.0.0:8480"}, "not a loopback address"},
		{[]string{"demo", "--serve", "--listen", "192.0.2.1:8480"}, "not a loopback address"},
		{[]string{"demo", "--serve", "--listen", "8480"}, "not HOST:PORT"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("dxp %s: %v, want an error saying %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	for _, ok := range []string{"127.0.0.1:0", "localhost:8480", "[::1]:8480"} {
		if err := checkDemoListen(ok); err != nil {
			t.Errorf("checkDemoListen(%q) = %v, want nil", ok, err)
		}
	}
}
