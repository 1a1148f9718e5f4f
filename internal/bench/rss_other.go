//go:build !linux

package bench

// peakRSSMB is not measured on this platform.
func peakRSSMB() float64 { return 0 }

// rssMB is not measured on this platform.
func rssMB() float64 { return 0 }

// processPeakRSSMB is not measured on this platform.
func processPeakRSSMB(pid int) float64 { return 0 }

func resetPeakRSS() bool { return false }
