package mpc

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"
)

// Commit then reveal.
//
// A member's share for an adaptive step (ckg, rkg1, rkg2, gkg and the known-answer step kat) is
// posted on chain as the SHA-256 of its bytes before anyone can read it: the member saves the
// objects in its private directory (commit-<step>), posts their digests, and puts them in storage
// (reveals them) only once the board shows every member's post for that step. The digest is a
// hiding commitment (every share carries fresh secret randomness: a key share, an ephemeral key,
// error terms, smudging noise) and a binding one (storage verifies every read against it), so a
// member chooses its share before it can see any other member's, and cannot change it afterwards:
// no member can post `target − Σ others`. The chain refuses a digest another member already posted
// (a copied commitment, rights.CodeCopiedShare).
//
// A restarted member posts and reveals the objects it saved, never new ones. A member that
// committed and never reveals stalls the ceremony; the others wait for it (revealWait) and then
// report, in every pass, which member's object is missing.

// revealWait is how long a member waits quietly for another member's committed share to appear in
// storage before each pass reports it as an error naming that member.
const revealWait = 30 * time.Second

// committedSteps are the steps whose shares are committed before they are revealed.
var committedSteps = []string{stepCKG, stepRKG1, stepRKG2, stepGKG, stepKAT}

func commitFile(step string) string { return "commit-" + step }

// unrevealedError is a committed object of another member that this member could not read yet.
type unrevealedError struct {
	step, member string
	index        int
	err          error
}

func (e *unrevealedError) Error() string {
	return fmt.Sprintf("%s share %d of %s (committed on chain) is not readable in storage: %v", e.step, e.index, e.member, e.err)
}

func (e *unrevealedError) Unwrap() error { return e.err }

// peerObject returns object i of member a's post for step, which a must have revealed.
func (m *Member) peerObject(ctx context.Context, v *CommitteeView, step, a string, i int) ([]byte, error) {
	ds := v.Shares[step][a]
	if i >= len(ds) {
		return nil, fmt.Errorf("%s posted %d digests for %s, want at least %d", a, len(ds), step, i+1)
	}
	b, err := m.get(ctx, ds[i])
	if err != nil {
		return nil, &unrevealedError{step: step, member: a, index: i, err: err}
	}
	return b, nil
}

// waiting decides what a step that found a committed object missing does: it waits (nil) until the
// object has been missing for revealWait, then returns an error naming the member.
func (m *Member) waiting(step string, ue *unrevealedError) error {
	key := ue.step + "/" + ue.member
	first, ok := m.ep.waiting[key]
	if !ok {
		first = m.now()
		m.ep.waiting[key] = first
		m.log.Info("mpc: waiting for a member to reveal its committed share", "step", step, "share", ue.step, "of", ue.member)
	}
	if waited := m.now().Sub(first); waited >= revealWait {
		return fmt.Errorf("ceremony step %s: member %s committed its %s share but has not revealed it for %s: %w", step, ue.member, ue.step, waited.Round(time.Second), ue)
	}
	return nil
}

// saveCommit saves objs as this member's commitment for step and returns their digests. If another
// process saved one first, it returns that one's digests.
func (m *Member) saveCommit(step string, objs [][]byte) ([][32]byte, error) {
	b, ds := encodeCommit(objs)
	if err := m.state.create(m.ep.n, commitFile(step), b); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		ds, _, ok, err := m.savedCommit(step)
		if err == nil && !ok {
			err = fmt.Errorf("commitment for %s vanished", step)
		}
		return ds, err
	}
	return ds, nil
}

// encodeCommit lays out a commitment file: each object's length (uint64, big-endian), then its
// bytes. It also returns the objects' digests.
func encodeCommit(objs [][]byte) (b []byte, ds [][32]byte) {
	ds = make([][32]byte, len(objs))
	for i, o := range objs {
		ds[i] = sha256.Sum256(o)
		b = binary.BigEndian.AppendUint64(b, uint64(len(o)))
		b = append(b, o...)
	}
	return b, ds
}

// savedCommit returns the digests and objects this member saved for step, if any.
func (m *Member) savedCommit(step string) (ds [][32]byte, objs [][]byte, ok bool, err error) {
	data, ok, err := m.state.read(m.ep.n, commitFile(step))
	if err != nil || !ok {
		return nil, nil, false, err
	}
	for len(data) > 0 {
		if len(data) < 8 {
			return nil, nil, false, fmt.Errorf("%s file: truncated", commitFile(step))
		}
		n := binary.BigEndian.Uint64(data)
		data = data[8:]
		if n > uint64(len(data)) {
			return nil, nil, false, fmt.Errorf("%s file: truncated", commitFile(step))
		}
		objs = append(objs, data[:n])
		ds = append(ds, sha256.Sum256(data[:n]))
		data = data[n:]
	}
	if len(objs) == 0 {
		return nil, nil, false, fmt.Errorf("%s file: empty", commitFile(step))
	}
	return ds, objs, true, nil
}

// everyonePosted reports whether every member posted step.
func everyonePosted(v *CommitteeView, step string) bool {
	for _, a := range v.Members {
		if len(v.Shares[step][a]) == 0 {
			return false
		}
	}
	return true
}

// reveal puts in storage the objects this member committed for step, once every member committed.
func (m *Member) reveal(ctx context.Context, v *CommitteeView, step string) error {
	ds, objs, ok, err := m.savedCommit(step)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("this member posted %s, but its committed objects are missing from %s", step, m.state.dir)
	}
	if posted := v.Shares[step][m.cfg.Address]; !slices.Equal(posted, ds) {
		return fmt.Errorf("the posted %s digests are not the ones saved in %s", step, m.state.dir)
	}
	for _, o := range objs {
		if _, err := m.putBytes(ctx, o); err != nil {
			return err
		}
	}
	m.ep.revealed[step] = true
	m.log.Info("mpc: revealed ceremony step", "epoch", v.Epoch, "step", step, "objects", len(objs))
	return nil
}
