package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// processWriteBytes is how many bytes the process has sent to storage so far (write_bytes in
// /proc/self/io: counted when a page of a file on a block device is first dirtied, so what a
// node writes to disk, its databases' compactions included, and not what it writes to sockets
// or to a tmpfs such as /dev/shm, which reads as 0).
func processWriteBytes() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("write_bytes:")); ok {
			v, err := strconv.ParseUint(string(bytes.TrimSpace(rest)), 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// filesystemOf names the kind of filesystem dir is on (statfs's magic number), so a report
// says whether its nodes wrote to a disk or to memory; "" if unknown.
func filesystemOf(dir string) string {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return ""
	}
	switch fs.Type {
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x01021994:
		return "tmpfs"
	case 0x794C7630:
		return "overlayfs"
	}
	return fmt.Sprintf("statfs type %#x", fs.Type)
}
