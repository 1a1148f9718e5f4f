package mpc

import (
	"context"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// CheckBuyerKey fetches a buyer's RLWE public key object (its digest d, as the buyer names it on
// chain) and checks that it parses as a public key under params, as the members parse it when
// they re-encrypt a result to it. A regulator checks it before admitting the buyer, so that no
// computation is run for a buyer whose key is missing or garbage.
func CheckBuyerKey(ctx context.Context, objs Objects, params heint.Parameters, d [32]byte) error {
	if err := checkParams(params); err != nil {
		return fmt.Errorf("mpc: check buyer key: %w", err)
	}
	if d == ([32]byte{}) {
		return fmt.Errorf("mpc: check buyer key: the digest is zero")
	}
	b, err := objs.Get(ctx, d)
	if err != nil {
		return fmt.Errorf("mpc: buyer key %s: %w", short(d), err)
	}
	if _, err := newCodec(params).publicKey(b); err != nil {
		return fmt.Errorf("mpc: buyer key %s: %w", short(d), err)
	}
	return nil
}
