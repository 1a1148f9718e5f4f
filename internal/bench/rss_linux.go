package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// peakRSSMB is the process's peak resident set size since start or the last resetPeakRSS, in
// MiB (VmHWM in /proc/self/status); 0 if it cannot be read.
func peakRSSMB() float64 { return statusMB("self", "VmHWM:") }

// processPeakRSSMB is process pid's peak resident set size, in MiB; 0 if it cannot be read.
func processPeakRSSMB(pid int) float64 { return statusMB(strconv.Itoa(pid), "VmHWM:") }

// rssMB is the process's resident set now (VmRSS), in MiB; 0 if it cannot be read.
func rssMB() float64 { return statusMB("self", "VmRSS:") }

// statusMB reads a size field ("VmHWM:") of /proc/PROC/status (PROC is "self" or a pid), in
// MiB; 0 if it cannot be read.
func statusMB(proc, field string) float64 {
	b, err := os.ReadFile("/proc/" + proc + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}

// resetPeakRSS sets the peak resident set size to the current one (Linux 4.0 and later), so
// that a measurement leaves out what came before, such as a setup. It reports whether it could.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
