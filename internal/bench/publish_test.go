package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet/devnettest"
)

// TestPublishDevnetProcessFails: when the devnet the bench moves out of its process cannot be
// started, or exits before it serves the chain, Publish says so (naming the process's log)
// instead of waiting out the time a starting process has, stops what it started, and measures
// nothing.
func TestPublishDevnetProcessFails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	startErr := errors.New("no such binary")
	for name, tc := range map[string]struct {
		run  func(home string) (*DevnetProcess, error)
		want string
	}{
		"cannot start": {
			run:  func(string) (*DevnetProcess, error) { return nil, startErr },
			want: startErr.Error(),
		},
		"exits at once": {
			run: func(home string) (*DevnetProcess, error) {
				exited := make(chan struct{})
				close(exited)
				return &DevnetProcess{PID: -1, Log: home + "/process.log", Exited: exited, Stop: func() error { return nil }}, nil
			},
			want: "/process.log) exited before serving the chain",
		},
	} {
		t.Run(name, func(t *testing.T) {
			stopped := false
			run := func(home string) (*DevnetProcess, error) {
				p, err := tc.run(home)
				if p != nil {
					p.Stop = func() error { stopped = true; return nil }
				}
				return p, err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			rep, err := Publish(ctx, PublishConfig{Rows: 10, Slots: 1024, SetupCache: devnettest.SetupCache(), RunDevnet: run})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Publish = %+v, %v; want an error saying %q", rep, err, tc.want)
			}
			if name == "exits at once" && !stopped {
				t.Error("the devnet process was not stopped")
			}
		})
	}
}
