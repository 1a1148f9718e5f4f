//go:build !linux

package bench

// processWriteBytes is not measured here; the bench then reports no bytes written.
func processWriteBytes() (uint64, bool) { return 0, false }

// filesystemOf is not known here.
func filesystemOf(string) string { return "" }
