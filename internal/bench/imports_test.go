package bench

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyCmdImportsBench keeps the benches apart from the libraries they measure: no package
// but cmd/dxp imports internal/bench, and nothing imports cmd/dxp.
func TestOnlyCmdImportsBench(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/dxplabs/dxp/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const (
		cmd   = "github.com/dxplabs/dxp/cmd/dxp"
		bench = "github.com/dxplabs/dxp/internal/bench"
	)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		for _, imp := range imports {
			if imp == cmd || imp == bench && pkg != cmd {
				t.Errorf("%s imports %s; only cmd/dxp may import internal/bench, and nothing imports cmd/dxp", pkg, imp)
			}
		}
	}
}
