package rights

import (
	"crypto/sha256"
	"unicode/utf8"
)

const (
	maxDatasetName = 128 // characters
	maxDescription = 4096
	maxColumns     = 64
	maxColumnName  = 64 // characters
	maxScale       = 18
	commitmentSize = 32
	maxReasonBytes = 512
	maxGrantUses   = 1_000_000
)

// ceilDiv is ceil(a/b) for b > 0, without overflow.
func ceilDiv(a, b uint64) uint64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// registerDataset lists a dataset held by the sender after checking its schema and every chunk
// proof.
func (x *exec) registerDataset(m *RegisterDataset) (string, error) {
	p, err := x.party(x.sender)
	if err != nil {
		return "", err
	}
	if !p.hasRole(RoleOwner) {
		return "", refuse(CodeUnauthorized, "%s does not hold the owner role, so it cannot list datasets", x.sender)
	}
	c, err := x.committee()
	if err != nil {
		return "", err
	}
	if !c.Ready {
		return "", refuse(CodeCommitteeNotReady, "the committee has not agreed its keys yet, so no dataset can be listed")
	}
	if m.KeyEpoch != c.Epoch {
		return "", refuse(CodeBadEpoch, "dataset is encrypted under key epoch %d, the committee is at epoch %d", m.KeyEpoch, c.Epoch)
	}
	params, err := x.params()
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(m.Name); n < 1 || n > maxDatasetName {
		return "", refuse(CodeBadDataset, "dataset name must be 1 to %d characters, got %d", maxDatasetName, n)
	}
	if len(m.Description) > maxDescription {
		return "", refuse(CodeBadText, "dataset description is %d bytes, at most %d allowed", len(m.Description), maxDescription)
	}
	if m.Rows < 1 {
		return "", refuse(CodeBadDataset, "dataset %q has no rows", m.Name)
	}
	if m.Manifest.IsZero() {
		return "", refuse(CodeBadDigests, "dataset %q manifest digest is zero", m.Name)
	}
	if len(m.Columns) < 1 || len(m.Columns) > maxColumns {
		return "", refuse(CodeBadDataset, "dataset must have 1 to %d columns, got %d", maxColumns, len(m.Columns))
	}
	wantCts := ceilDiv(m.Rows, params.SlotsPerCiphertext)
	wantChunks := ceilDiv(m.Rows, params.ListingChunkSize)
	names := map[string]bool{}
	for i, col := range m.Columns {
		if n := utf8.RuneCountInString(col.Name); n < 1 || n > maxColumnName {
			return "", refuse(CodeBadDataset, "column %d name must be 1 to %d characters, got %d", i, maxColumnName, n)
		}
		if names[col.Name] {
			return "", refuse(CodeBadDataset, "column %q is declared twice", col.Name)
		}
		names[col.Name] = true
		switch col.Type {
		case TypeInteger:
			if col.Scale != 0 {
				return "", refuse(CodeBadDataset, "column %q is an integer column with scale %d; integers have scale 0", col.Name, col.Scale)
			}
		case TypeDecimal:
			if col.Scale < 1 || col.Scale > maxScale {
				return "", refuse(CodeBadDataset, "column %q is a decimal column with scale %d; decimals have scale 1 to %d", col.Name, col.Scale, maxScale)
			}
		default:
			return "", refuse(CodeBadDataset, "column %q has unknown type %q (want integer or decimal)", col.Name, col.Type)
		}
		if col.Min > col.Max {
			return "", refuse(CodeBadDataset, "column %q has min %d above max %d", col.Name, col.Min, col.Max)
		}
		if uint64(len(col.Ciphertexts)) != wantCts {
			return "", refuse(CodeBadDataset, "column %q has %d ciphertexts, %d rows need %d (%d values each)",
				col.Name, len(col.Ciphertexts), m.Rows, wantCts, params.SlotsPerCiphertext)
		}
		for j, d := range col.Ciphertexts {
			if d.IsZero() {
				return "", refuse(CodeBadDigests, "column %q ciphertext %d digest is zero", col.Name, j)
			}
		}
		if uint64(len(col.Chunks)) != wantChunks {
			return "", refuse(CodeBadDataset, "column %q has %d proof chunks, %d rows need %d (%d values each)",
				col.Name, len(col.Chunks), m.Rows, wantChunks, params.ListingChunkSize)
		}
		for j, ch := range col.Chunks {
			if len(ch.Commitment) != commitmentSize {
				return "", refuse(CodeBadDataset, "column %q chunk %d commitment is %d bytes, want %d", col.Name, j, len(ch.Commitment), commitmentSize)
			}
			if len(ch.Proof) == 0 {
				return "", refuse(CodeBadProof, "column %q chunk %d has no proof", col.Name, j)
			}
		}
	}
	// Proofs last: they are the expensive check.
	if x.v == nil {
		return "", refuse(CodeInternal, "this node has no listing proof verifier")
	}
	h := sha256.New()
	for _, col := range m.Columns {
		for j, ch := range col.Chunks {
			if err := x.v.VerifyListing(params.ListingVK, ch.Proof, ch.Commitment, col.Min, col.Max); err != nil {
				return "", refuse(CodeBadProof, "column %q chunk %d: the listing proof does not verify: %v", col.Name, j, err)
			}
			h.Write(ch.Commitment)
		}
	}
	var commitment Digest
	copy(commitment[:], h.Sum(nil))

	id := x.newID("ds")
	if old, err := x.s.Get(key(prefixDataset, id)); err != nil {
		return "", err
	} else if old != nil {
		return "", refuse(CodeInternal, "dataset id %s is already taken", id)
	}
	d := &Dataset{
		ID:          id,
		Holder:      x.sender,
		Name:        m.Name,
		Description: m.Description,
		Columns:     m.Columns,
		Rows:        m.Rows,
		Price:       m.Price,
		Manifest:    m.Manifest,
		Commitment:  commitment,
		KeyEpoch:    m.KeyEpoch,
		Status:      DatasetListed,
		Registered:  x.b.Height,
	}
	if err := save(x.s, key(prefixDataset, id), d); err != nil {
		return "", err
	}
	x.emit(Event{Action: "register_dataset", Parties: []Address{x.sender}, Datasets: []string{id}})
	return id, nil
}
