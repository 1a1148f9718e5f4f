package client

import (
	"context"

	cmttypes "github.com/cometbft/cometbft/types"
)

// VerifyProven lets the external tests check answers the node did not make.
var VerifyProven = verifyProven

// Validators is c.validators, for the external tests.
func Validators(ctx context.Context, c *Client, h int64) (*cmttypes.ValidatorSet, error) {
	return c.validators(ctx, h)
}
