package rights

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// AddressOf returns the address of an ed25519 public key: the lower-case hex of the first 20
// bytes of its SHA-256.
func AddressOf(pub ed25519.PublicKey) Address {
	sum := sha256.Sum256(pub)
	return Address(hex.EncodeToString(sum[:20]))
}

// Kind names the one message a Msg carries ("register_party", "request_grant", ...), or "" when
// it carries none or several.
func (m Msg) Kind() string {
	kind, n := "", 0
	set := func(ok bool, name string) {
		if ok {
			kind = name
			n++
		}
	}
	set(m.RegisterParty != nil, "register_party")
	set(m.PostCeremonyShare != nil, "post_ceremony_share")
	set(m.RegisterDataset != nil, "register_dataset")
	set(m.RequestGrant != nil, "request_grant")
	set(m.ApproveGrant != nil, "approve_grant")
	set(m.RejectGrant != nil, "reject_grant")
	set(m.RevokeGrant != nil, "revoke_grant")
	set(m.RequestComputation != nil, "request_computation")
	set(m.SubmitOutput != nil, "submit_output")
	set(m.SubmitShare != nil, "submit_share")
	set(m.UpdateDataset != nil, "update_dataset")
	set(m.SetPolicy != nil, "set_policy")
	set(m.RetireDataset != nil, "retire_dataset")
	set(m.TransferHolding != nil, "transfer_holding")
	set(m.TransferProduct != nil, "transfer_product")
	set(m.LicenseProduct != nil, "license_product")
	set(m.Freeze != nil, "freeze")
	set(m.Unfreeze != nil, "unfreeze")
	set(m.ProposeRegulatorChange != nil, "propose_regulator_change")
	set(m.VoteRegulatorChange != nil, "vote_regulator_change")
	set(m.AdmitParty != nil, "admit_party")
	set(m.RefuseComputation != nil, "refuse_computation")
	set(m.AttestInputs != nil, "attest_inputs")
	set(m.DisputeComputation != nil, "dispute_computation")
	set(m.ResolveDispute != nil, "resolve_dispute")
	// Setup ceremonies (tx_zkceremony.go).
	set(m.OpenZKCeremony != nil, "open_zk_ceremony")
	set(m.ContributeZKCeremony != nil, "contribute_zk_ceremony")
	set(m.FinishZKCeremony != nil, "finish_zk_ceremony")
	if n != 1 {
		return ""
	}
	return kind
}

func (m Msg) validate() error {
	if m.Kind() == "" {
		return errors.New("a message must have exactly one field set")
	}
	return nil
}

// Sender is the address of the key that signed tx.
func (tx *Tx) Sender() Address { return AddressOf(tx.PubKey) }

// EncodeTx returns the canonical encoding of tx, the bytes broadcast to the chain.
func EncodeTx(tx *Tx) ([]byte, error) {
	if err := tx.Msg.validate(); err != nil {
		return nil, fmt.Errorf("rights: encode tx: %w", err)
	}
	return marshal(tx)
}

// DecodeTx reads a tx written by EncodeTx. It refuses anything but the canonical encoding of a
// Tx whose Msg has exactly one field set. It does not check the signature.
func DecodeTx(b []byte) (*Tx, error) {
	tx, err := decodeTxFresh(b)
	if err != nil {
		return nil, fmt.Errorf("rights: decode tx: %w", err)
	}
	return tx, nil
}

func decodeTxFresh(b []byte) (*Tx, error) {
	var tx Tx
	if err := unmarshal(b, &tx); err != nil {
		return nil, err
	}
	if err := tx.Msg.validate(); err != nil {
		return nil, err
	}
	return &tx, nil
}

// SignBytes returns what the sender signs: the canonical encoding of tx with Sig nil.
func SignBytes(tx *Tx) ([]byte, error) {
	c := *tx
	c.Sig = nil
	b, err := marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("rights: sign bytes: %w", err)
	}
	return b, nil
}

// Sign sets tx.PubKey to key's public key and tx.Sig to its signature over SignBytes(tx).
func Sign(key ed25519.PrivateKey, tx *Tx) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("rights: sign tx: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if err := tx.Msg.validate(); err != nil {
		return fmt.Errorf("rights: sign tx: %w", err)
	}
	tx.PubKey = append([]byte(nil), key.Public().(ed25519.PublicKey)...)
	msg, err := SignBytes(tx)
	if err != nil {
		return err
	}
	tx.Sig = ed25519.Sign(key, msg)
	return nil
}

// VerifySig reports whether tx carries a valid signature by its PubKey.
func VerifySig(tx *Tx) error { return (*Cache)(nil).verifySig(tx, nil) }
