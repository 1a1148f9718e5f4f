//go:build !unix

package bench

import "time"

// processCPU is not measured here; the bench then does not wait for the process to be quiet.
func processCPU() (time.Duration, bool) { return 0, false }
