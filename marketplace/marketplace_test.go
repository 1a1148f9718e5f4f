package marketplace_test

import (
	"errors"
	"testing"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/rights"
)

// The flows' tests run on a real devnet (devnettest), and the devnet package imports marketplace:
// so they are package marketplace_test, which sees marketplace through a dot import, as a
// package that cannot be part of the one it tests must (Go Code Review Comments, "Import Dot").
// These are their shorthands for the harness.

const testChunk = devnettest.ChunkSize

var (
	table           = devnettest.Table
	mustKey         = devnettest.MustKey
	approvedGrant   = devnettest.ApprovedGrant
	minioStorage    = devnettest.MinioStorage
	plaintextAnswer = devnet.PlaintextAnswer
)

func startDevnet(t *testing.T, home string) *devnet.Devnet {
	t.Helper()
	return devnettest.Start(t, devnet.Config{Home: home})
}

func startDevnetWith(t *testing.T, cfg devnet.Config) *devnet.Devnet {
	t.Helper()
	return devnettest.Start(t, cfg)
}

func isRefusal(err error) bool {
	var te *rights.TxError
	return errors.As(err, &te)
}
