package mpc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dxplabs/dxp/spec"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// Computations.

func taskKey(t *Task) string { return t.Phase + "/" + t.ID }

func (m *Member) taskStep(ctx context.Context, v *CommitteeView) (progressed bool, err error) {
	tasks, err := m.cfg.Board.Tasks(ctx)
	if err != nil {
		return false, fmt.Errorf("read tasks: %w", err)
	}
	pending := make(map[string]bool, len(tasks))
	ids := make(map[string]bool, len(tasks))
	switching := make(map[string]bool, len(tasks))
	for i := range tasks {
		pending[taskKey(&tasks[i])] = true
		ids[tasks[i].ID] = true
		if tasks[i].Phase == PhaseSwitch {
			switching[shareName(&tasks[i])] = true
		}
	}
	for k := range m.done {
		if !pending[k] {
			delete(m.done, k)
		}
	}
	for k := range m.failed {
		if !pending[k] {
			delete(m.failed, k)
		}
	}
	for id := range m.outputs {
		if !ids[id] {
			delete(m.outputs, id)
		}
	}
	if err := m.retireShares(ctx, switching); err != nil {
		return false, err
	}
	if err := m.retireOutputs(tasks); err != nil {
		return false, err
	}
	var errs []error
	for i := range tasks {
		t := &tasks[i]
		k := taskKey(t)
		if m.done[k] {
			continue
		}
		if f := m.failed[k]; f != nil && m.now().Before(f.next) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return progressed, err
		}
		var err error
		switch t.Phase {
		case PhaseEvaluate:
			err = m.evaluateTask(ctx, v, t)
		case PhaseSwitch:
			err = m.switchTask(ctx, v, t)
		case PhaseInputs:
			err = m.inputsTask(ctx, t)
		default:
			err = fmt.Errorf("unknown phase %q", t.Phase)
		}
		if err != nil {
			f := m.failed[k]
			if f == nil {
				f = &failedTask{}
				m.failed[k] = f
			}
			f.fails++
			f.next = m.now().Add(min(m.retryBase()<<min(f.fails, 10), 5*time.Minute))
			errs = append(errs, fmt.Errorf("task %s (%s): %w", t.ID, t.Phase, err))
			continue
		}
		delete(m.failed, k)
		m.done[k] = true
		progressed = true
	}
	return progressed, errors.Join(errs...)
}

// evaluations bounds the evaluations that run at once in this process (members that share a
// process, a devnet's, share its cores). The chain moves a computation on once q =
// spec.Participants members posted their outputs, so what matters is when the q-th output is
// ready. A single evaluation runs on one core (lattigo does not parallelize), so with c cores
// and n ≥ q members evaluating, each T long: letting all n run at once finishes the q-th at
// n·T/c; queuing them c at a time finishes it at ⌈q/c⌉·T, with cores idle in the last round
// when c does not divide q (3 participants on 2 cores: 2T, one core idle for T); letting
// exactly max(c, q) run at once finishes the q-th at max(1, q/c)·T (3 on 2 cores: 1.5T), the
// least of the three, and the members past q follow.
var evaluations = newSlots()

// evaluateOnCore runs f when one of max(cores, participants) evaluation slots is free.
func evaluateOnCore(ctx context.Context, participants int, f func() (*rlwe.Ciphertext, error)) (*rlwe.Ciphertext, error) {
	if err := evaluations.acquire(ctx, max(1, runtime.GOMAXPROCS(0), participants)); err != nil {
		return nil, err
	}
	defer evaluations.release()
	return f()
}

// slots is a counting semaphore whose limit each caller gives (the members of one process share
// a committee, so they give the same one).
type slots struct {
	mu    sync.Mutex
	busy  int
	freed chan struct{} // closed, and replaced, whenever a slot is released
}

func newSlots() *slots { return &slots{freed: make(chan struct{})} }

func (s *slots) acquire(ctx context.Context, limit int) error {
	for {
		s.mu.Lock()
		if s.busy < limit {
			s.busy++
			s.mu.Unlock()
			return nil
		}
		freed := s.freed
		s.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *slots) release() {
	s.mu.Lock()
	s.busy--
	close(s.freed)
	s.freed = make(chan struct{})
	s.mu.Unlock()
}

// evaluateTask evaluates the task's query on the input ciphertexts and posts the output's digest.
// The digest is saved before it is posted, so a member that restarts after posting posts the same
// digest again (the chain refuses it as a duplicate) instead of evaluating a second time.
func (m *Member) evaluateTask(ctx context.Context, v *CommitteeView, t *Task) error {
	start := time.Now()
	name := outputName(t.ID)
	if data, ok, err := m.state.read(m.ep.n, name); err != nil || ok {
		if err != nil {
			return err
		}
		if len(data) != 32 {
			return fmt.Errorf("saved output file %s: %d bytes, want 32", name, len(data))
		}
		d := [32]byte(data)
		if err := m.live(ctx, t); err != nil {
			return err
		}
		nd, err := m.noiseDealing(ctx, v, t, nil)
		if err != nil {
			return err
		}
		if err := m.cfg.Board.PostOutput(ctx, t.ID, d, nd); err != nil {
			return fmt.Errorf("post saved output: %w", err)
		}
		m.outputs[t.ID] = d
		m.trace(t.ID, PhaseEvaluate, start, start)
		m.log.Info("mpc: posted saved output", "task", t.ID, "output", short(d))
		return nil
	}
	p, err := newPlan(t, Slots(m.cfg.Params))
	if err != nil {
		return err
	}
	if _, err := p.noise(newNoiseModel(m.cfg.Params, len(v.Members))); err != nil {
		return err
	}
	// The noise is dealt (and saved) before the evaluation, so a restart deals no second time.
	nd, err := m.noiseDealing(ctx, v, t, p)
	if err != nil {
		return err
	}
	// The requester's inputs are checked before any evaluation: a fault of its own is refused
	// on chain, and charged to it, not retried until the deadline refunds it.
	_, reason, err := m.buyerKey(ctx, t)
	if err == nil && reason == "" && t.Op.TakesWeights() {
		reason, err = m.dotWeights(ctx, v, t, p)
	}
	if err != nil {
		return err
	}
	if reason != "" {
		return m.refuse(ctx, t, reason)
	}
	keys, err := m.evalKeys(ctx, v)
	if err != nil {
		return err
	}
	out, err := evaluateOnCore(ctx, spec.Participants(len(v.Members), v.Threshold), func() (*rlwe.Ciphertext, error) { return keys.ev.run(ctx, p, m.load) })
	if err != nil {
		return err
	}
	d, err := m.put(ctx, out)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err := m.state.create(m.ep.n, name, d[:]); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := m.live(ctx, t); err != nil {
		return err
	}
	posting := time.Now()
	if err := m.cfg.Board.PostOutput(ctx, t.ID, d, nd); err != nil {
		return fmt.Errorf("post output: %w", err)
	}
	m.trace(t.ID, PhaseEvaluate, start, posting)
	m.outputs[t.ID] = d
	m.log.Info("mpc: posted output", "task", t.ID, "op", t.Op, "values", len(p.terms), "ciphertexts", len(p.columns)*p.chunks(), "output", short(d), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (m *Member) load(ctx context.Context, d [32]byte, minLevel int, into *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	b, err := m.get(ctx, d)
	if err != nil {
		return nil, err
	}
	ct, err := m.codec.ciphertextInto(b, minLevel, into)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", short(d), err)
	}
	return ct, nil
}

// switchTask makes this member's key-switch share of the agreed output toward the buyer's key,
// with smudging noise sized from the output's noise and, for a DP task, its share of the noise,
// saves it, and posts it. A saved share is posted again instead of making a second one.
func (m *Member) switchTask(ctx context.Context, v *CommitteeView, t *Task) error {
	start := time.Now()
	me := m.index(v)
	active, err := activeIndices(v, t.Active, t.DP != nil)
	if err != nil {
		return err
	}
	pos := slices.Index(active, me)
	if pos < 0 {
		return fmt.Errorf("%s is not one of the active members %q", m.cfg.Address, t.Active)
	}
	if err := m.live(ctx, t); err != nil { // before savedShare puts a saved share in storage
		return err
	}
	if d, ok, err := m.savedShare(ctx, t); err != nil || ok {
		if err != nil {
			return err
		}
		posting := time.Now()
		if err := m.cfg.Board.PostShare(ctx, t.ID, d); err != nil {
			return fmt.Errorf("post saved share: %w", err)
		}
		m.trace(t.ID, PhaseSwitch, start, posting)
		m.log.Info("mpc: posted saved share", "task", t.ID, "share", short(d))
		return nil
	}
	if d, ok := m.outputs[t.ID]; ok && d != t.Output {
		return fmt.Errorf("the agreed output %s is not the output %s this member evaluated", short(t.Output), short(d))
	}
	p, err := newPlan(t, Slots(m.cfg.Params))
	if err != nil {
		return err
	}
	smudge, err := planSmudging(m.cfg.Params, p, len(v.Members), v.Threshold)
	if err != nil {
		return err
	}
	var sigma []uint64 // this member's Shamir share of the participants' total noise
	if t.DP != nil {
		if sigma, err = m.noiseShare(ctx, v, t, active, len(p.terms)); err != nil {
			return err
		}
		defer clear(sigma)
	}
	ob, err := m.get(ctx, t.Output)
	if err != nil {
		return fmt.Errorf("agreed output: %w", err)
	}
	out, err := m.codec.outputCiphertext(ob, p.single())
	if err != nil {
		return fmt.Errorf("agreed output %s: %w", short(t.Output), err)
	}
	bpk, reason, err := m.buyerKey(ctx, t)
	if err != nil {
		return err
	}
	if reason != "" {
		return m.refuse(ctx, t, reason)
	}
	tsk, err := m.thresholdKey(ctx, v)
	if err != nil {
		return err
	}
	pcks, err := m.keySwitchProtocol(smudge)
	if err != nil {
		return err
	}
	// One share per t-subset of the participants this member is in (subsets.go), each with its
	// own Lagrange coefficient and fresh smudging; with noise each adds λ_me^S·σ (dpdeal.go), so
	// every subset carries the same total noise.
	var sb []byte
	subs := subsetsWith(len(active), v.Threshold, pos)
	T := m.cfg.Params.PlaintextModulus()
	for _, s := range subs {
		set := make([]int, len(s))
		for i, p := range s {
			set[i] = active[p]
		}
		var noise []uint64
		if sigma != nil {
			l, err := lagrangeAtZero(set, me, T)
			if err != nil {
				return err
			}
			noise = make([]uint64, len(sigma))
			for j, x := range sigma {
				noise[j] = mulMod(l, x, T)
			}
		}
		b, err := m.subsetShare(pcks, me, len(v.Members), v.Threshold, set, *tsk, bpk, out, noise, p.single())
		clear(noise)
		if err != nil {
			return err
		}
		sb = append(sb, b...)
	}
	d := sha256.Sum256(sb)
	if err := m.state.create(m.ep.n, "share-"+shareName(t), append(d[:], sb...)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return m.switchTask(ctx, v, t) // another process saved a share first: post that one
		}
		return err
	}
	if err := m.live(ctx, t); err != nil { // again: making the share took time
		return err
	}
	if _, err := m.putBytes(ctx, sb); err != nil {
		return fmt.Errorf("share: %w", err)
	}
	posting := time.Now()
	if err := m.cfg.Board.PostShare(ctx, t.ID, d); err != nil {
		return fmt.Errorf("post share: %w", err)
	}
	m.trace(t.ID, PhaseSwitch, start, posting)
	m.log.Info("mpc: posted share", "task", t.ID, "active", len(active), "subsets", len(subs), "smudging_log2_sigma", fmt.Sprintf("%.1f", math.Log2(smudge.Sigma)), "dp", t.DP != nil, "share", short(d), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// keySwitchProtocol returns this member's PCKS protocol for the smudging distribution, made on
// first use and kept (pcks): making one allocates about 12 MB of encryptor buffers at LogN 14.
// Reusing it is as random as making a new one: its samplers draw on, from PRNGs seeded from
// crypto/rand when it was made, and every share still gets fresh encryption and smudging noise.
func (m *Member) keySwitchProtocol(smudge ring.DiscreteGaussian) (*mhe.PublicKeySwitchProtocol, error) {
	if p := m.pcks[smudge]; p != nil {
		return p, nil
	}
	p, err := mhe.NewPublicKeySwitchProtocol(m.cfg.Params, smudge)
	if err != nil {
		return nil, fmt.Errorf("key switch: %w", err)
	}
	if len(m.pcks) >= keptKeySwitchProtocols || m.pcks == nil {
		m.pcks = make(map[ring.DiscreteGaussian]*mhe.PublicKeySwitchProtocol)
	}
	m.pcks[smudge] = &p
	return &p, nil
}

// keptKeySwitchProtocols is how many smudging distributions a member keeps a PCKS protocol for
// (queries of one shape share one).
const keptKeySwitchProtocols = 4

// live refuses to go on with a task the chain would no longer take a post for (Board.Live).
func (m *Member) live(ctx context.Context, t *Task) error {
	if err := m.cfg.Board.Live(ctx, t.ID); err != nil {
		return fmt.Errorf("computation %s is not live, so this member posts nothing for it: %w", t.ID, err)
	}
	return nil
}

// subsetShare makes this member's PCKS share for one subset of committee indices (set), with its
// DP noise added when noise is set, and returns it encoded.
func (m *Member) subsetShare(pcks *mhe.PublicKeySwitchProtocol, me, members, threshold int, set []int, tsk mhe.ShamirSecretShare, bpk *rlwe.PublicKey, out *rlwe.Ciphertext, noise []uint64, single bool) ([]byte, error) {
	sk, err := additiveShare(m.cfg.Params, me, members, threshold, set, tsk)
	if err != nil {
		return nil, err
	}
	defer zeroQP(sk.Value)
	share := pcks.AllocateShare(out.Level())
	pcks.GenShare(sk, bpk, out, &share)
	if noise != nil {
		if err := m.addNoise(&share, out, noise, single); err != nil {
			return nil, err
		}
	}
	b, err := share.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode share: %w", err)
	}
	return b, nil
}

// activeIndices maps the active members to committee indices, checking there are exactly
// spec.Participants distinct members (min(n, 2t−1)).
func activeIndices(v *CommitteeView, active []string, dp bool) ([]int, error) {
	if want := spec.Participants(len(v.Members), v.Threshold); len(active) != want {
		return nil, fmt.Errorf("%d active members, want %d (threshold %d of %d, noise %t)", len(active), want, v.Threshold, len(v.Members), dp)
	}
	out := make([]int, len(active))
	for i, a := range active {
		j := slices.Index(v.Members, a)
		if j < 0 {
			return nil, fmt.Errorf("active member %s is not in the committee", a)
		}
		if slices.Contains(out[:i], j) {
			return nil, fmt.Errorf("active member %s listed twice", a)
		}
		out[i] = j
	}
	return out, nil
}

// addNoise adds this member's part of the DP noise (values mod T) to its share: noise[j] in slot
// j, or noise[0] in every slot for a single-valued output, encoded at the output's level and
// scale, so that the buyer decodes the exact result plus the subset's noise parts summed mod T.
func (m *Member) addNoise(share *mhe.PublicKeySwitchShare, out *rlwe.Ciphertext, noise []uint64, single bool) error {
	vals := make([]uint64, Slots(m.cfg.Params))
	if single {
		for i := range vals {
			vals[i] = noise[0]
		}
	} else {
		copy(vals, noise)
	}
	pt := heint.NewPlaintext(m.cfg.Params, out.Level())
	pt.MetaData = out.MetaData.CopyNew()
	if err := heint.NewEncoder(m.cfg.Params).Encode(vals, pt); err != nil {
		return fmt.Errorf("encode noise: %w", err)
	}
	clear(vals)
	m.cfg.Params.RingQ().AtLevel(out.Level()).Add(share.Value[0], pt.Value, share.Value[0])
	return nil
}

// shareName names the files of a task's share: a SHA-256 of the task ID, the agreed output and
// the active members, so a share is only ever re-posted for the output and the active set it was
// made for (the additive key share depends on the set).
func shareName(t *Task) string {
	h := sha256.New()
	h.Write([]byte(t.ID))
	h.Write([]byte{0})
	h.Write(t.Output[:])
	for _, a := range t.Active {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// savedShare returns the digest of the share saved for a task, putting its bytes in storage again
// (a restart may have come between saving and storing them).
func (m *Member) savedShare(ctx context.Context, t *Task) ([32]byte, bool, error) {
	var d [32]byte
	data, ok, err := m.state.read(m.ep.n, "share-"+shareName(t))
	if err != nil {
		return d, false, err
	}
	if !ok {
		data, ok, err := m.state.read(m.ep.n, "posted-"+shareName(t))
		if err != nil || !ok {
			return d, false, err
		}
		if len(data) != len(d) {
			return d, false, fmt.Errorf("posted-share file: %d bytes, want %d", len(data), len(d))
		}
		return [32]byte(data), true, nil
	}
	if len(data) < len(d) || sha256.Sum256(data[len(d):]) != [32]byte(data[:len(d)]) {
		return d, false, errors.New("saved share file is corrupted")
	}
	copy(d[:], data)
	if _, err := m.putBytes(ctx, data[len(d):]); err != nil {
		return d, false, fmt.Errorf("saved share: %w", err)
	}
	return d, true, nil
}

// retireShares replaces the saved share of every task that no longer waits for this member's
// share (switching holds the shareName of those that do) with its digest alone, after making sure
// the share is in storage.
func (m *Member) retireShares(ctx context.Context, switching map[string]bool) error {
	names, err := m.state.list(m.ep.n, "share-")
	if err != nil || len(names) == 0 {
		return err
	}
	for _, name := range names {
		if switching[strings.TrimPrefix(name, "share-")] {
			continue
		}
		data, ok, err := m.state.read(m.ep.n, name)
		if err != nil || !ok {
			return err
		}
		if len(data) < 32 || sha256.Sum256(data[32:]) != [32]byte(data[:32]) {
			return fmt.Errorf("saved share file %s is corrupted", name)
		}
		if _, err := m.putBytes(ctx, data[32:]); err != nil {
			return fmt.Errorf("saved share %s: %w", name, err)
		}
		posted := "posted-" + strings.TrimPrefix(name, "share-")
		if err := m.state.create(m.ep.n, posted, data[:32]); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := m.state.remove(m.ep.n, name); err != nil {
			return err
		}
	}
	return nil
}

// evalKeys returns the epoch's evaluation keys, loading them from storage the first time.
func (m *Member) evalKeys(ctx context.Context, v *CommitteeView) (*evalKeys, error) {
	if k := m.ep.keys; k != nil && slices.Equal(k.digests, v.Keys) {
		return k, nil
	}
	els := galoisElements(m.cfg.Params)
	if len(v.Keys) != 2+len(els) {
		return nil, fmt.Errorf("committee keys: %d digests, want %d", len(v.Keys), 2+len(els))
	}
	start := time.Now()
	b, err := m.get(ctx, v.Keys[1])
	if err != nil {
		return nil, fmt.Errorf("relinearization key: %w", err)
	}
	rlk, err := m.codec.relinearizationKey(b)
	if err != nil {
		return nil, err
	}
	gks := make([]*rlwe.GaloisKey, len(els))
	for i, el := range els {
		b, err := m.get(ctx, v.Keys[2+i])
		if err != nil {
			return nil, fmt.Errorf("galois key %d: %w", el, err)
		}
		if gks[i], err = m.codec.galoisKey(b, el); err != nil {
			return nil, err
		}
	}
	m.ep.keys = &evalKeys{digests: slices.Clone(v.Keys), ev: newEvaluator(m.cfg.Params, rlwe.NewMemEvaluationKeySet(rlk, gks...))}
	m.log.Info("mpc: loaded evaluation keys", "epoch", v.Epoch, "took", time.Since(start).Round(time.Millisecond))
	return m.ep.keys, nil
}

// outputName names the file of the output digest this member evaluated for a task.
func outputName(task string) string {
	h := sha256.Sum256([]byte(task))
	return "output-" + hex.EncodeToString(h[:16])
}

// retireOutputs removes the saved output digests of tasks that no longer wait for this member's
// output: the chain holds it, or the computation moved on without it.
func (m *Member) retireOutputs(tasks []Task) error {
	names, err := m.state.list(m.ep.n, "output-")
	if err != nil {
		return err
	}
	evaluating := make(map[string]bool, len(tasks))
	for i := range tasks {
		if tasks[i].Phase == PhaseEvaluate {
			evaluating[outputName(tasks[i].ID)] = true
		}
	}
	for _, name := range names {
		if !evaluating[name] {
			if err := m.state.remove(m.ep.n, name); err != nil {
				return err
			}
		}
	}
	// A noise dealing is on chain once the output is: its saved copy goes with the output's.
	dealings, err := m.state.list(m.ep.n, "noise-")
	if err != nil {
		return err
	}
	for _, name := range dealings {
		if !evaluating["output-"+strings.TrimPrefix(name, "noise-")] {
			if err := m.state.remove(m.ep.n, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// refuse posts this member's refusal of a task for a fault of its requester. reason is public: it
// names what is wrong, never a weight or a secret.
func (m *Member) refuse(ctx context.Context, t *Task, reason string) error {
	if err := m.cfg.Board.RefuseComputation(ctx, t.ID, reason); err != nil {
		return fmt.Errorf("refuse: %w", err)
	}
	m.log.Warn("mpc: refused a computation for its requester's fault", "task", t.ID, "op", t.Op, "phase", t.Phase, "reason", reason)
	return nil
}

// buyerKey returns the requester's RLWE public key, or why its object is unusable (reason, and a
// nil key): it must be in storage and parse, or no member could switch the output to it. An error
// is this member's own trouble (storage unreachable), retried. Parsed keys are kept by digest
// (buyerKeys): the digest is the object's SHA-256, checked when it was read, so a kept key is the
// object's, and a computation's evaluate and switch phases, and the requester's next
// computations, read and parse it once.
func (m *Member) buyerKey(ctx context.Context, t *Task) (pk *rlwe.PublicKey, reason string, err error) {
	if pk := m.buyerKeys.get(t.BuyerKey); pk != nil {
		return pk, "", nil
	}
	b, err := m.get(ctx, t.BuyerKey)
	if errors.Is(err, ErrNotFound) {
		return nil, "the requester's RLWE public key object is missing from storage", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("buyer key: %w", err)
	}
	if pk, err = m.codec.publicKey(b); err != nil {
		return nil, "the requester's RLWE public key object does not parse", nil
	}
	m.buyerKeys.add(t.BuyerKey, pk)
	return pk, "", nil
}

// keptBuyerKeys is how many parsed buyer keys a member keeps (2 MB each at LogN 14).
const keptBuyerKeys = 8

// keyCache keeps the most recently used parsed public keys by object digest. Not safe for
// concurrent use: a member uses it under its lock.
type keyCache struct {
	digests [][32]byte // most recently used last
	keys    map[[32]byte]*rlwe.PublicKey
}

func (c *keyCache) get(d [32]byte) *rlwe.PublicKey {
	pk := c.keys[d]
	if pk != nil {
		i := slices.Index(c.digests, d)
		c.digests = append(slices.Delete(c.digests, i, i+1), d)
	}
	return pk
}

func (c *keyCache) add(d [32]byte, pk *rlwe.PublicKey) {
	if c.keys == nil {
		c.keys = make(map[[32]byte]*rlwe.PublicKey)
	}
	if _, ok := c.keys[d]; ok {
		return
	}
	if len(c.digests) == keptBuyerKeys {
		delete(c.keys, c.digests[0])
		c.digests = slices.Delete(c.digests, 0, 1)
	}
	c.digests = append(c.digests, d)
	c.keys[d] = pk
}

// dotWeights opens this member's copy of a dot product's sealed weights, checks them against the
// request's commitment, the row count and the declared bound, and sets them on p, one slot
// vector per ciphertext of the column (each dataset's rows start a new one). It returns why the
// weights are refused ("" if they are usable); an error is this member's own trouble (storage
// unreachable, its box key unreadable), retried.
func (m *Member) dotWeights(ctx context.Context, v *CommitteeView, t *Task, p *plan) (string, error) {
	obj, err := m.get(ctx, t.WeightsObject)
	if errors.Is(err, ErrNotFound) {
		return "the dot product's weights object is missing from storage", nil
	}
	if err != nil {
		return "", fmt.Errorf("weights: %w", err)
	}
	bk, err := m.boxKey(false)
	if err != nil {
		return "", fmt.Errorf("weights: %w", err)
	}
	w, err := openWeights(obj, m.index(v), &bk.pub, &bk.priv, t.WeightsCommitment)
	if err != nil {
		return "the dot product's weights are refused: " + err.Error(), nil
	}
	if err := checkWeights(w, t.Rows, t.WeightBound); err != nil {
		return "the dot product's weights are refused: " + err.Error(), nil
	}
	slots := Slots(m.cfg.Params)
	var chunks [][]int64
	start := 0
	for _, r := range t.Rows {
		part := w[start : start+int(r)]
		start += int(r)
		for len(part) > 0 {
			n := min(len(part), slots)
			chunks = append(chunks, part[:n])
			part = part[n:]
		}
	}
	if len(chunks) != p.chunks() {
		return "", fmt.Errorf("the datasets' %d rows make %d ciphertexts, the column has %d", len(w), len(chunks), p.chunks())
	}
	p.weights = chunks
	return "", nil
}
