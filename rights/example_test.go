package rights_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/dxplabs/dxp/rights"
)

type acceptAll struct{}

func (acceptAll) VerifyChunk(vk, proof, commitment []byte, min, max int64) error { return nil }

func (acceptAll) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error { return nil }

func key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func (acceptAll) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return make([]byte, 32), nil
}

func (acceptAll) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return nil
}

// The ledger on its own: genesis, a signed tx, a refusal that changes nothing, the end of a block.
func ExampleLedger() {
	member := key("member").Public().(ed25519.PublicKey)
	gen := rights.Genesis{
		ChainID: "dxp-example",
		Devnet:  true,
		Committee: rights.Committee{
			Members:   []rights.Member{{Address: rights.AddressOf(member), PubKey: member}},
			Threshold: 1,
			Epoch:     1,
		},
		Params: rights.Params{
			OpeningCredit: 100, ComputationDeadline: 10, PlaintextModulus: 1125899908022273,
			SlotsPerCiphertext: 16384, MaxGrantDatasets: 8, ProductNoiseBudget: 30336,
		},
		Circuits: []rights.Circuit{{ChunkSize: 16384, Width: 32, VK: []byte("vk"), PK: rights.Digest{1},
			Setup: rights.InsecureDevnetSetup}},
	}
	l := &rights.Ledger{Store: rights.NewMemStore(), Verifier: acceptAll{}}
	if err := l.InitChain(gen, rights.Block{Height: 1}); err != nil {
		fmt.Println(err)
		return
	}

	buyer := key("buyer")
	deliver := func(nonce uint64, msg rights.Msg) error {
		tx := &rights.Tx{ChainID: gen.ChainID, Nonce: nonce, Msg: msg}
		if err := rights.Sign(buyer, tx); err != nil {
			return err
		}
		b, err := rights.EncodeTx(tx)
		if err != nil {
			return err
		}
		_, err = l.Deliver(b, rights.Block{Height: 1})
		return err
	}
	register := rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: sha256.Sum256([]byte("rlwe pk"))}}
	if err := deliver(0, register); err != nil {
		fmt.Println(err)
		return
	}
	p, err := l.Party(rights.AddressOf(buyer.Public().(ed25519.PublicKey)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("balance", p.Balance, "next nonce", p.Nonce)

	err = deliver(1, rights.Msg{ApproveGrant: &rights.ApproveGrant{Grant: "gr-0000000000000000"}})
	var refused *rights.TxError
	if errors.As(err, &refused) {
		fmt.Println("refused with code", refused.Code, "-", refused.Log)
	}
	if _, err := l.EndBlock(rights.Block{Height: 1}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// balance 100 next nonce 1
	// refused with code 24 - grant gr-0000000000000000 does not exist
}
