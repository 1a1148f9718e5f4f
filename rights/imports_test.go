package rights

import (
	osexec "os/exec"
	"strings"
	"testing"
)

// TestCoreImports keeps the core deterministic and free of I/O: none of its non-test files may
// import CometBFT, IAVL, goleveldb or the os and network packages. The ABCI application, the node
// and the client live in rights/app, rights/node and rights/client.
func TestCoreImports(t *testing.T) {
	goTool, err := osexec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := osexec.Command(goTool, "list", "-f", `{{join .Imports "\n"}}`, "github.com/dxplabs/dxp/rights").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbiddenPrefixes := []string{
		"github.com/cometbft/cometbft/",
		"github.com/cometbft/cometbft-db",
		"github.com/cosmos/iavl",
		"github.com/syndtr/goleveldb",
	}
	forbidden := map[string]bool{"os": true, "net": true, "net/http": true}
	// Of DXP's own packages the core reads only the computation spec and the digest type of
	// storage's root package (a leaf of the standard library).
	dxpAllowed := map[string]bool{"github.com/dxplabs/dxp/spec": true, "github.com/dxplabs/dxp/storage": true}
	for _, imp := range strings.Fields(string(out)) {
		bad := forbidden[imp] || strings.HasPrefix(imp, "github.com/dxplabs/dxp/") && !dxpAllowed[imp]
		for _, p := range forbiddenPrefixes {
			bad = bad || strings.HasPrefix(imp, p)
		}
		if bad {
			t.Errorf("package rights imports %s; the core must not (DESIGN.md section 2)", imp)
		}
	}
}
