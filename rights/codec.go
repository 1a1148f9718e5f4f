package rights

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// The chain's one encoding: CBOR Core Deterministic (RFC 8949 §4.2.1) for writing, and a strict
// reader that refuses anything the writer would not have produced, so every value has exactly
// one byte form and a signed tx cannot be re-encoded into a different, equally valid, tx.
var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(fmt.Sprintf("rights: cbor encoder options: %v", err))
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		UTF8:              cbor.UTF8RejectInvalid,
		MaxNestedLevels:   16,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("rights: cbor decoder options: %v", err))
	}
}

// errNotCanonical reports input that decodes but is not the canonical form of what it decodes to.
var errNotCanonical = errors.New("not in canonical CBOR form")

// marshal writes v in canonical CBOR.
func marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("rights: encode %T: %w", v, err)
	}
	return b, nil
}

// unmarshal reads canonical CBOR into v, refusing unknown fields, duplicate keys, trailing bytes,
// indefinite lengths, tags and any non-canonical form (checked by re-encoding). Txs are read so:
// a signed tx has exactly one byte form.
func unmarshal(b []byte, v any) error {
	if err := decode(b, v); err != nil {
		return err
	}
	again, err := encMode.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return errNotCanonical
	}
	return nil
}

// decode reads CBOR into v as strictly as unmarshal, except that fields missing from the input
// are left zero: stored state and query answers written before a field was added still read.
func decode(b []byte, v any) error { return decMode.Unmarshal(b, v) }

// Marshal returns the canonical CBOR encoding of v, as the chain stores it and returns it from
// queries. v is one of this package's types (or a slice of them).
func Marshal(v any) ([]byte, error) { return marshal(v) }

// Unmarshal reads CBOR written by Marshal into v. It refuses unknown fields, duplicate keys,
// trailing bytes, indefinite lengths and tags; fields missing from b are left zero.
func Unmarshal(b []byte, v any) error {
	if err := decode(b, v); err != nil {
		return fmt.Errorf("rights: decode %T: %w", v, err)
	}
	return nil
}
