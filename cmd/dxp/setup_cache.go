package main

import (
	"os"
	"path/filepath"
)

// setupCacheDir is where development networks keep their insecure circuit setups for the next
// devnet to reuse: $DXP_SETUP_CACHE, else the user's cache directory (on Linux
// ~/.cache/dxp/setup). Empty (no cache) when neither exists.
func setupCacheDir() string {
	if d, ok := os.LookupEnv("DXP_SETUP_CACHE"); ok {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "dxp", "setup")
}
