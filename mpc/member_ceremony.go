package mpc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"golang.org/x/crypto/nacl/box"
)

// The ceremony.

// mine returns this member's posted digests for step, from the board or from this process.
func (m *Member) mine(v *CommitteeView, step string) ([][32]byte, bool) {
	if d := v.Shares[step][m.cfg.Address]; len(d) > 0 {
		return d, true
	}
	d, ok := m.ep.posted[step]
	return d, ok
}

// allPosted reports whether every member posted n digests for step.
func allPosted(v *CommitteeView, step string, n int) bool {
	for _, a := range v.Members {
		if len(v.Shares[step][a]) != n {
			return false
		}
	}
	return true
}

func (m *Member) ceremonyStep(ctx context.Context, v *CommitteeView) (progressed bool, err error) {
	n := len(m.ep.cer.galEls)
	// A step either posts at once (run: its objects are in storage before the post) or commits
	// (make: its objects stay in the private directory until every member posted the step).
	type step struct {
		name  string
		ready bool
		run   func(context.Context, *CommitteeView) ([][32]byte, error)
		make  func(context.Context, *CommitteeView) ([][]byte, error)
	}
	steps := []step{
		{name: stepBox, ready: true, run: m.postBox},
		{name: stepCKG, ready: true, make: m.makeCKG},
		{name: stepRKG1, ready: true, make: m.makeRKG1},
		{name: stepGKG, ready: true, make: m.makeGKG},
		{name: stepRKG2, ready: allPosted(v, stepRKG1, 1), make: m.makeRKG2},
		{name: stepShamir, ready: allPosted(v, stepBox, 1), run: m.postShamir},
		{name: stepKAT, ready: allPosted(v, stepCKG, 1) && allPosted(v, stepRKG1, 1) && allPosted(v, stepRKG2, 1) &&
			allPosted(v, stepGKG, n) && allPosted(v, stepShamir, len(v.Members)), make: m.makeKAT},
		{name: stepKeys, ready: everyonePosted(v, stepKAT), run: m.postKeys},
	}
	m.ep.awaiting = false
	for _, s := range steps {
		if _, done := m.mine(v, s.name); done {
			if s.make != nil && !m.ep.revealed[s.name] && everyonePosted(v, s.name) {
				if err := m.reveal(ctx, v, s.name); err != nil {
					return progressed, fmt.Errorf("ceremony epoch %d step %s: reveal: %w", v.Epoch, s.name, err)
				}
				progressed = true
			}
			continue
		}
		if !s.ready {
			continue
		}
		if err := ctx.Err(); err != nil {
			return progressed, err
		}
		start := time.Now()
		digests, saved, err := m.runStep(ctx, v, s.name, s.run, s.make)
		var ue *unrevealedError
		if errors.As(err, &ue) {
			m.ep.awaiting = true
			if err := m.waiting(s.name, ue); err != nil {
				return progressed, fmt.Errorf("ceremony epoch %d: %w", v.Epoch, err)
			}
			continue
		}
		if err != nil {
			return progressed, fmt.Errorf("ceremony epoch %d step %s: %w", v.Epoch, s.name, err)
		}
		if err := m.cfg.Board.PostCeremony(ctx, s.name, digests); err != nil {
			return progressed, fmt.Errorf("ceremony epoch %d step %s: post: %w", v.Epoch, s.name, err)
		}
		m.ep.posted[s.name] = digests
		progressed = true
		m.log.Info("mpc: posted ceremony step", "epoch", v.Epoch, "step", s.name, "objects", len(digests), "committed", s.make != nil, "saved", saved, "first", short(digests[0]), "took", time.Since(start).Round(time.Millisecond))
	}
	return progressed, nil
}

// runStep makes this member's post for a step: run's digests, or the digests of the objects make
// returns, saved as the member's commitment first. A commitment saved earlier (by a process that
// stopped before or while posting) is posted again rather than made anew (saved is then true).
func (m *Member) runStep(ctx context.Context, v *CommitteeView, name string,
	run func(context.Context, *CommitteeView) ([][32]byte, error),
	make func(context.Context, *CommitteeView) ([][]byte, error),
) (digests [][32]byte, saved bool, err error) {
	if make == nil {
		digests, err = run(ctx, v)
		return digests, false, err
	}
	if ds, _, ok, err := m.savedCommit(name); err != nil || ok {
		return ds, ok, err
	}
	objs, err := make(ctx, v)
	if err != nil {
		return nil, false, err
	}
	digests, err = m.saveCommit(name, objs)
	return digests, false, err
}

// secretKey returns the member's key share for the epoch, creating and persisting it if create is
// set and it does not exist yet.
func (m *Member) secretKey(create bool) (*rlwe.SecretKey, error) {
	if m.ep.sk != nil {
		return m.ep.sk, nil
	}
	data, ok, err := m.state.read(m.ep.n, fileSecretKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		if !create {
			return nil, fmt.Errorf("secret key share of epoch %d is missing from %s, but this member already posted shares made with it", m.ep.n, m.state.dir)
		}
		sk := m.ep.cer.newSecret()
		b, err := sk.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode secret key: %w", err)
		}
		if err := m.state.create(m.ep.n, fileSecretKey, b); err != nil {
			if !errors.Is(err, fs.ErrExist) {
				return nil, err
			}
			return m.secretKey(false) // another process got there first: use its key
		}
		m.ep.sk = sk
		return sk, nil
	}
	sk, err := m.codec.secretKey(data)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	m.ep.sk = sk
	return sk, nil
}

func (m *Member) makeCKG(ctx context.Context, _ *CommitteeView) ([][]byte, error) {
	// The only step that may create the key share: every later step's share must use the same one.
	sk, err := m.secretKey(true)
	if err != nil {
		return nil, err
	}
	s, err := m.ep.cer.ckgShare(sk)
	if err != nil {
		return nil, err
	}
	return marshalAll(&s)
}

func marshalAll(os ...object) ([][]byte, error) {
	out := make([][]byte, len(os))
	for i, o := range os {
		b, err := o.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

// makeRKG1 makes the round-1 share and its ephemeral secret, and persists the secret with the
// share's digest before the share is committed (ceremonyStep saves the commitment, then posts it).
// An ephemeral secret left without a commitment is from a process that stopped before committing:
// nothing was posted with it, so it is replaced.
func (m *Member) makeRKG1(ctx context.Context, _ *CommitteeView) ([][]byte, error) {
	if _, _, ok, err := m.ephemeral(); err != nil {
		return nil, err
	} else if ok {
		if err := m.state.remove(m.ep.n, fileRKGEphemeral); err != nil {
			return nil, err
		}
	}
	sk, err := m.secretKey(false)
	if err != nil {
		return nil, err
	}
	eph, s, err := m.ep.cer.rkgRound1(sk)
	if err != nil {
		return nil, err
	}
	objs, err := marshalAll(&s)
	if err != nil {
		return nil, err
	}
	b, err := eph.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode ephemeral secret: %w", err)
	}
	d := sha256.Sum256(objs[0])
	if err := m.state.create(m.ep.n, fileRKGEphemeral, append(d[:], b...)); err != nil {
		return nil, err
	}
	return objs, nil
}

// ephemeral returns the persisted RKG round-1 digest and ephemeral secret, if any.
func (m *Member) ephemeral() (d [32]byte, eph *rlwe.SecretKey, ok bool, err error) {
	data, ok, err := m.state.read(m.ep.n, fileRKGEphemeral)
	if err != nil || !ok {
		return d, nil, false, err
	}
	if len(data) < len(d) {
		return d, nil, false, fmt.Errorf("ephemeral secret file: truncated")
	}
	copy(d[:], data)
	eph, err = m.codec.secretKey(data[len(d):])
	if err != nil {
		return d, nil, false, fmt.Errorf("ephemeral secret file: %w", err)
	}
	return d, eph, true, nil
}

func (m *Member) makeRKG2(ctx context.Context, v *CommitteeView) ([][]byte, error) {
	sk, err := m.secretKey(false)
	if err != nil {
		return nil, err
	}
	d, eph, ok, err := m.ephemeral()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("ephemeral secret of the posted rkg1 share is missing from %s", m.state.dir)
	}
	if posted := v.Shares[stepRKG1][m.cfg.Address]; posted[0] != d {
		return nil, fmt.Errorf("posted rkg1 share %s is not the one whose ephemeral secret was kept (%s)", short(posted[0]), short(d))
	}
	round1, err := m.aggregateRKG(ctx, v, stepRKG1)
	if err != nil {
		return nil, err
	}
	s := m.ep.cer.rkgRound2(sk, eph, round1)
	return marshalAll(&s)
}

// aggregateRKG sums every member's revealed share of an RKG round, checking each one's shape.
func (m *Member) aggregateRKG(ctx context.Context, v *CommitteeView, step string) (mhe.RelinearizationKeyGenShare, error) {
	shares := make([]*mhe.RelinearizationKeyGenShare, 0, len(v.Members))
	for _, a := range v.Members {
		b, err := m.peerObject(ctx, v, step, a, 0)
		if err != nil {
			return mhe.RelinearizationKeyGenShare{}, err
		}
		s, err := m.codec.rkgShare(b)
		if err != nil {
			return mhe.RelinearizationKeyGenShare{}, fmt.Errorf("%s share of %s: %w", step, a, err)
		}
		shares = append(shares, s)
	}
	return m.ep.cer.aggregateRKG(shares), nil
}

func (m *Member) makeGKG(ctx context.Context, _ *CommitteeView) ([][]byte, error) {
	sk, err := m.secretKey(false)
	if err != nil {
		return nil, err
	}
	objs := make([][]byte, 0, len(m.ep.cer.galEls))
	for _, el := range m.ep.cer.galEls {
		s, err := m.ep.cer.gkgShare(sk, el)
		if err != nil {
			return nil, err
		}
		b, err := marshalAll(&s)
		if err != nil {
			return nil, err
		}
		objs = append(objs, b[0])
	}
	return objs, nil
}

// collectiveKeys aggregates every member's revealed shares into the collective keys, puts them in
// storage and keeps them: digests in the order [public key, relinearization key, Galois key per
// element of galoisElements]. Aggregation is deterministic, so every member gets the same keys.
func (m *Member) collectiveKeys(ctx context.Context, v *CommitteeView) (*evalKeys, error) {
	if m.ep.keys != nil && m.ep.pk != nil {
		return m.ep.keys, nil
	}
	cer := m.ep.cer
	ckg := make([]*mhe.PublicKeyGenShare, 0, len(v.Members))
	for _, a := range v.Members {
		b, err := m.peerObject(ctx, v, stepCKG, a, 0)
		if err != nil {
			return nil, err
		}
		s, err := m.codec.ckgShare(b)
		if err != nil {
			return nil, fmt.Errorf("ckg share of %s: %w", a, err)
		}
		ckg = append(ckg, s)
	}
	round1, err := m.aggregateRKG(ctx, v, stepRKG1)
	if err != nil {
		return nil, err
	}
	round2, err := m.aggregateRKG(ctx, v, stepRKG2)
	if err != nil {
		return nil, err
	}
	gkgShares := make([][]*mhe.GaloisKeyGenShare, len(cer.galEls))
	for i, el := range cer.galEls {
		for _, a := range v.Members {
			b, err := m.peerObject(ctx, v, stepGKG, a, i)
			if err != nil {
				return nil, err
			}
			s, err := m.codec.gkgShare(b, el)
			if err != nil {
				return nil, fmt.Errorf("gkg share %d of %s: %w", el, a, err)
			}
			gkgShares[i] = append(gkgShares[i], s)
		}
	}
	pk, err := cer.publicKey(ckg)
	if err != nil {
		return nil, err
	}
	rlk := cer.relinearizationKey(round1, round2)
	var digests [][32]byte
	for _, o := range []object{pk, rlk} {
		d, err := m.put(ctx, o)
		if err != nil {
			return nil, err
		}
		digests = append(digests, d)
	}
	gks := make([]*rlwe.GaloisKey, 0, len(cer.galEls))
	for i, el := range cer.galEls {
		gk, err := cer.galoisKey(el, gkgShares[i])
		if err != nil {
			return nil, err
		}
		d, err := m.put(ctx, gk)
		if err != nil {
			return nil, err
		}
		digests = append(digests, d)
		gks = append(gks, gk)
	}
	cer.release()
	// This member will evaluate with these keys: keep them rather than reload them once ready.
	m.ep.pk = pk
	m.ep.keys = &evalKeys{digests: digests, ev: newEvaluator(m.cfg.Params, rlwe.NewMemEvaluationKeySet(rlk, gks...))}
	return m.ep.keys, nil
}

// postKeys votes for the collective keys (their digests, see collectiveKeys), but only once the
// known-answer check under them passes: a member that vouches for the keys has seen them work.
func (m *Member) postKeys(ctx context.Context, v *CommitteeView) ([][32]byte, error) {
	keys, err := m.collectiveKeys(ctx, v)
	if err != nil {
		return nil, err
	}
	if err := m.checkKnownAnswer(ctx, v); err != nil {
		return nil, err
	}
	return keys.digests, nil
}

// boxKeys is the member's X25519 key pair for receiving Shamir shares.
type boxKeys struct{ pub, priv [boxKeySize]byte }

// boxKey returns the member's box keys for the epoch, creating and persisting them if create is
// set and they do not exist yet.
func (m *Member) boxKey(create bool) (*boxKeys, error) {
	if m.ep.box != nil {
		return m.ep.box, nil
	}
	data, ok, err := m.state.read(m.ep.n, fileBoxKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		if !create {
			return nil, fmt.Errorf("box key of epoch %d is missing from %s, but this member already posted its public key", m.ep.n, m.state.dir)
		}
		pub, priv, err := box.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("box key: %w", err)
		}
		b := append(pub[:], priv[:]...)
		err = m.state.create(m.ep.n, fileBoxKey, b)
		clear(b)
		clear(priv[:])
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return m.boxKey(false) // ours, or the one another process saved first
	}
	if len(data) != 2*boxKeySize {
		return nil, fmt.Errorf("box key file: %d bytes, want %d", len(data), 2*boxKeySize)
	}
	k := &boxKeys{}
	copy(k.pub[:], data)
	copy(k.priv[:], data[boxKeySize:])
	clear(data)
	m.ep.box = k
	return k, nil
}

// postBox posts the member's box public key: a 32-byte object. The key pair is saved first, so a
// restart posts the same key.
func (m *Member) postBox(ctx context.Context, _ *CommitteeView) ([][32]byte, error) {
	k, err := m.boxKey(true)
	if err != nil {
		return nil, err
	}
	d, err := m.putBytes(ctx, k.pub[:])
	if err != nil {
		return nil, err
	}
	return [][32]byte{d}, nil
}

// peerBoxKey returns member a's posted box public key.
func (m *Member) peerBoxKey(ctx context.Context, v *CommitteeView, a string) (*[boxKeySize]byte, error) {
	b, err := m.get(ctx, v.Shares[stepBox][a][0])
	if err != nil {
		return nil, fmt.Errorf("box key of %s: %w", a, err)
	}
	if len(b) != boxKeySize {
		return nil, fmt.Errorf("box key of %s: %d bytes, want %d", a, len(b), boxKeySize)
	}
	var k [boxKeySize]byte
	copy(k[:], b)
	return &k, nil
}

// postShamir posts the member's Shamir shares of its key share, one per member in committee
// order (its own included), each sealed to that member's box key. The digests are saved before
// they are posted, so a restart posts the same shares.
func (m *Member) postShamir(ctx context.Context, v *CommitteeView) ([][32]byte, error) {
	n := len(v.Members)
	if data, ok, err := m.state.read(m.ep.n, fileShamirPosted); err != nil {
		return nil, err
	} else if ok {
		if len(data) != 32*n {
			return nil, fmt.Errorf("shamir-posted file: %d bytes, want %d", len(data), 32*n)
		}
		ds := make([][32]byte, n)
		for i := range ds {
			copy(ds[i][:], data[32*i:])
		}
		return ds, nil
	}
	sk, err := m.secretKey(false)
	if err != nil {
		return nil, err
	}
	bk, err := m.boxKey(false)
	if err != nil {
		return nil, err
	}
	if sha256.Sum256(bk.pub[:]) != v.Shares[stepBox][m.cfg.Address][0] {
		return nil, errors.New("the posted box key is not the one saved in the private directory")
	}
	peers := make([]*[boxKeySize]byte, n)
	for j, a := range v.Members {
		if peers[j], err = m.peerBoxKey(ctx, v, a); err != nil {
			return nil, err
		}
	}
	shares, err := m.ep.cer.shamirShares(sk, v.Threshold, n)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range shares {
			zeroQP(s.Poly)
		}
	}()
	me := m.index(v)
	ds := make([][32]byte, n)
	var record []byte
	for j := range shares {
		b, err := shares[j].MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode shamir share: %w", err)
		}
		sealed, err := m.ep.cer.seal(b, me, j, peers[j], &bk.priv)
		clear(b)
		if err != nil {
			return nil, err
		}
		if ds[j], err = m.putBytes(ctx, sealed); err != nil {
			return nil, err
		}
		record = append(record, ds[j][:]...)
	}
	if err := m.state.create(m.ep.n, fileShamirPosted, record); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return m.postShamir(ctx, v) // another process recorded its shares first: post those
		}
		return nil, err
	}
	return ds, nil
}

// thresholdKey returns the member's threshold share of the collective secret, opening and adding
// the Shamir shares every member posted for it and saving the result the first time.
func (m *Member) thresholdKey(ctx context.Context, v *CommitteeView) (*mhe.ShamirSecretShare, error) {
	if m.ep.tsk != nil {
		return m.ep.tsk, nil
	}
	data, ok, err := m.state.read(m.ep.n, fileThresholdKey)
	if err != nil {
		return nil, err
	}
	if ok {
		tsk, err := m.codec.shamirShare(data)
		clear(data)
		if err != nil {
			return nil, fmt.Errorf("threshold key file: %w", err)
		}
		m.ep.tsk = tsk
		return tsk, nil
	}
	n := len(v.Members)
	if !allPosted(v, stepShamir, n) {
		return nil, errors.New("threshold key: not every member posted its shamir shares")
	}
	bk, err := m.boxKey(false)
	if err != nil {
		return nil, err
	}
	size, err := m.codec.shamirShareSize()
	if err != nil {
		return nil, err
	}
	me := m.index(v)
	received := make([]*mhe.ShamirSecretShare, 0, n)
	defer func() {
		for _, s := range received {
			zeroQP(s.Poly)
		}
	}()
	for i, a := range v.Members {
		peer, err := m.peerBoxKey(ctx, v, a)
		if err != nil {
			return nil, err
		}
		sealed, err := m.get(ctx, v.Shares[stepShamir][a][me])
		if err != nil {
			return nil, fmt.Errorf("shamir share from %s: %w", a, err)
		}
		b, err := m.ep.cer.open(sealed, size, i, me, peer, &bk.priv)
		if err != nil {
			return nil, fmt.Errorf("shamir share from %s: %w", a, err)
		}
		s, err := m.codec.shamirShare(b)
		clear(b)
		if err != nil {
			return nil, fmt.Errorf("shamir share from %s: %w", a, err)
		}
		received = append(received, s)
	}
	tsk, err := m.ep.cer.thresholdShare(received)
	if err != nil {
		return nil, err
	}
	b, err := tsk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode threshold key: %w", err)
	}
	err = m.state.create(m.ep.n, fileThresholdKey, b)
	clear(b)
	zeroQP(tsk.Poly)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return m.thresholdKey(ctx, v) // read back what is on disk: ours, or another process's
}

// afterCeremony runs once the committee is ready: it makes sure the member holds its threshold
// share, then removes the ceremony's secrets (the additive key share, the RKG ephemeral secret,
// the committed shares), which nothing needs any more: the chain takes no ceremony posts once
// ready. The box key stays: buyers seal their dot-product weights to it (weights.go).
func (m *Member) afterCeremony(ctx context.Context, v *CommitteeView) error {
	if m.ep.cleaned {
		return nil
	}
	if _, err := m.thresholdKey(ctx, v); err != nil {
		return err
	}
	files := []string{fileSecretKey, fileRKGEphemeral, fileShamirPosted}
	for _, step := range committedSteps {
		files = append(files, commitFile(step))
	}
	for _, f := range files {
		if err := m.state.remove(m.ep.n, f); err != nil {
			return err
		}
	}
	if m.ep.sk != nil {
		zeroQP(m.ep.sk.Value)
		m.ep.sk = nil
	}
	m.ep.cleaned = true
	m.ep.pk, m.ep.katCt = nil, nil
	m.ep.cer.release()
	return nil
}
