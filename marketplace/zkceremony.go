package marketplace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/consensys/gnark/constraint"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// The Groth16 setup ceremony of a chunk circuit, run through the chain and storage like the
// committee's key ceremony: contributions are objects in storage, the chain records each one's
// digest and who made it, in an order it enforces. Each participant runs as its own process
// from its own home and builds only on contributions it verified itself; nobody needs a direct
// connection to anybody. See rights/tx_zkceremony.go for the chain's side.

// zkPoll is how often a ceremony command re-reads the chain while it waits: a beacon is the
// next block, at most about a second away.
const zkPoll = 300 * time.Millisecond

// ZKContributionError names the contribution of a setup ceremony that failed verification, or
// whose object in storage is missing or does not match the digest on chain.
type ZKContributionError struct {
	Ceremony    string
	Phase       int // 1 or 2
	Index       int // position in the phase, from 0
	Participant rights.ZKParticipant
	Digest      rights.Digest
	Err         error
}

func (e *ZKContributionError) Error() string {
	return fmt.Sprintf("phase %d contribution %d of setup ceremony %s, by %s (%s), object %s, is bad: %v",
		e.Phase, e.Index+1, e.Ceremony, e.Participant.Name, e.Participant.Address, e.Digest, e.Err)
}

func (e *ZKContributionError) Unwrap() error { return e.Err }

// ParseZKParticipants reads participants as NAME=ADDRESS, or as NAME alone for a key of that
// name in home, in the order given.
func ParseZKParticipants(home string, specs []string) ([]rights.ZKParticipant, error) {
	var out []rights.ZKParticipant
	for _, s := range specs {
		name, a, hasAddr := strings.Cut(strings.TrimSpace(s), "=")
		if !hasAddr {
			k, err := LoadKey(home, name)
			if err != nil {
				return nil, fmt.Errorf("participant %q is neither NAME=ADDRESS nor a key in %s: %w", s, home, err)
			}
			a = string(k.Address())
		}
		if len(a) != 40 || strings.Trim(a, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("participant %q: %q is not an address (40 lower-case hex digits)", s, a)
		}
		out = append(out, rights.ZKParticipant{Name: name, Address: rights.Address(a)})
	}
	return out, nil
}

// StartZKCeremony opens a setup ceremony, signed by the regulator key from, for the chunk
// circuit of n values of w bits, among participants in that order. It compiles the circuit first,
// so a size the prover cannot handle is refused before anything reaches the chain.
func (s *Session) StartZKCeremony(ctx context.Context, from string, n, w int, participants []rights.ZKParticipant) (*rights.ZKCeremony, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	if n < 1 || w < 1 {
		return nil, fmt.Errorf("chunk size %d and width %d must both be at least 1", n, w)
	}
	if _, err := zk.CompileChunk(n, w); err != nil {
		return nil, err
	}
	rc, err := s.submit(ctx, k, rights.Msg{OpenZKCeremony: &rights.OpenZKCeremony{
		ChunkSize: uint64(n), Width: uint32(w), Participants: participants}})
	if err != nil {
		return nil, fmt.Errorf("open the setup ceremony: %w", err)
	}
	return client.Get[rights.ZKCeremony](ctx, s.Chain, rc.ID)
}

// ZKContribution is one contribution a participant made.
type ZKContribution struct {
	Phase  int           `json:"phase"`
	Digest rights.Digest `json:"digest"`
	Height int64         `json:"height"`
}

// ContributeZKCeremony makes the contributions of participant from to ceremony id: in each
// phase it fetches the contributions so far from storage, checks each against its digest on
// chain and against the one before it (refusing, with a *ZKContributionError, to build on a bad
// one), adds its own, uploads it and posts its digest. It makes every contribution that is due
// now or once the next block seals a phase; with wait it also waits for the participants ahead
// of it. It returns the contributions it made.
func (s *Session) ContributeZKCeremony(ctx context.Context, from, id string, wait bool, progress func(string)) ([]ZKContribution, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	me := k.Address()
	var (
		made []ZKContribution
		ccs  constraint.ConstraintSystem
	)
	for {
		c, err := client.Get[rights.ZKCeremony](ctx, s.Chain, id)
		if err != nil {
			return made, fmt.Errorf("setup ceremony %s: %w", id, err)
		}
		name := c.Name(me)
		if name == "" {
			return made, fmt.Errorf("key %s (%s) is not a participant of setup ceremony %s", from, me, id)
		}
		pending := pendingPhases(c, me)
		if len(pending) == 0 {
			if len(made) == 0 {
				return nil, fmt.Errorf("%s (%s) already contributed to both phases of setup ceremony %s", name, me, id)
			}
			return made, nil
		}
		next, phase, due := c.Next()
		switch {
		case due && next.Address == me:
			if ccs == nil {
				if ccs, err = zk.CompileChunk(int(c.ChunkSize), int(c.Width)); err != nil {
					return made, err
				}
			}
			say(progress, "contributing to phase %d of setup ceremony %s as %s", phase, id, name)
			contrib, err := s.contributeZK(ctx, k, c, ccs, phase)
			if err != nil {
				return made, err
			}
			made = append(made, *contrib)
			continue
		case c.Status == rights.ZKCeremonyBeacon1 && c.Participants[0].Address == me:
			// First in phase 2: the next block seals phase 1.
		case !wait && len(made) > 0:
			return made, nil
		case !wait:
			return made, fmt.Errorf("it is not %s's turn in setup ceremony %s (%s); run again later or with --wait", name, id, ZKWaitingFor(c))
		}
		if err := sleepCtx(ctx, zkPoll); err != nil {
			return made, err
		}
	}
}

// pendingPhases are the phases participant a has not contributed to yet.
func pendingPhases(c *rights.ZKCeremony, a rights.Address) []int {
	var out []int
	for phase := 1; phase <= 2; phase++ {
		done := false
		for _, k := range c.Contributions(phase) {
			done = done || k.Participant == a
		}
		if !done {
			out = append(out, phase)
		}
	}
	return out
}

// ZKWaitingFor says what ceremony c waits for.
func ZKWaitingFor(c *rights.ZKCeremony) string {
	if p, phase, ok := c.Next(); ok {
		return fmt.Sprintf("it waits for %s (%s) to contribute to phase %d", p.Name, p.Address, phase)
	}
	switch c.Status {
	case rights.ZKCeremonyBeacon1:
		return fmt.Sprintf("it waits for block %d to seal phase 1", c.Beacon1.Height)
	case rights.ZKCeremonyBeacon2:
		return fmt.Sprintf("it waits for block %d to seal phase 2", c.Beacon2.Height)
	case rights.ZKCeremonyReady:
		return "it waits for someone to finish it (`dxp zk ceremony finish " + c.ID + "`)"
	}
	return "it is " + string(c.Status)
}

func (s *Session) contributeZK(ctx context.Context, k *Key, c *rights.ZKCeremony, ccs constraint.ConstraintSystem, phase int) (*ZKContribution, error) {
	domain := zk.CeremonyDomain(ccs)
	p1, err := s.fetchZK(ctx, c, 1)
	if err != nil {
		return nil, err
	}
	var next []byte
	if phase == 1 {
		latest, err := zk.CheckPhase1(domain, p1)
		if err != nil {
			return nil, blameZK(c, err, "refusing to build on it")
		}
		if next, err = zk.ContributePhase1(domain, latest); err != nil {
			return nil, err
		}
	} else {
		srs, err := zk.VerifyPhase1(domain, p1, c.Beacon1.Hash)
		if err != nil {
			return nil, blameZK(c, err, "refusing to build on it")
		}
		p2, err := s.fetchZK(ctx, c, 2)
		if err != nil {
			return nil, err
		}
		latest, err := zk.CheckPhase2(ccs, srs, p2)
		if err != nil {
			return nil, blameZK(c, err, "refusing to build on it")
		}
		if next, err = zk.ContributePhase2(ccs, latest); err != nil {
			return nil, err
		}
	}
	d, err := storage.PutBytes(ctx, s.Bucket, next)
	if err != nil {
		return nil, fmt.Errorf("upload the phase %d contribution: %w", phase, err)
	}
	rc, err := s.submit(ctx, k, rights.Msg{ContributeZKCeremony: &rights.ContributeZKCeremony{
		Ceremony: c.ID, Phase: uint32(phase), Digest: rights.Digest(d)}})
	if err != nil {
		return nil, fmt.Errorf("post the phase %d contribution to setup ceremony %s: %w", phase, c.ID, err)
	}
	return &ZKContribution{Phase: phase, Digest: rights.Digest(d), Height: rc.Height}, nil
}

// fetchZK reads the contributions of a phase from storage; storage checks each object against
// the digest the chain recorded.
func (s *Session) fetchZK(ctx context.Context, c *rights.ZKCeremony, phase int) ([][]byte, error) {
	ks := c.Contributions(phase)
	out := make([][]byte, len(ks))
	for i, k := range ks {
		b, err := storage.GetBytes(ctx, s.Bucket, storage.Digest(k.Digest))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &ZKContributionError{Ceremony: c.ID, Phase: phase, Index: i, Participant: participant(c, k.Participant),
				Digest: k.Digest, Err: err}
		}
		out[i] = b
	}
	return out, nil
}

func participant(c *rights.ZKCeremony, a rights.Address) rights.ZKParticipant {
	return rights.ZKParticipant{Name: c.Name(a), Address: a}
}

// blameZK turns a zk.ContributionError into a ZKContributionError naming the participant.
func blameZK(c *rights.ZKCeremony, err error, what string) error {
	var ce *zk.ContributionError
	if !errors.As(err, &ce) {
		return err
	}
	ks := c.Contributions(ce.Phase)
	if ce.Index >= len(ks) {
		return err
	}
	k := ks[ce.Index]
	return &ZKContributionError{Ceremony: c.ID, Phase: ce.Phase, Index: ce.Index, Participant: participant(c, k.Participant),
		Digest: k.Digest, Err: fmt.Errorf("%s: %w", what, ce.Err)}
}

// zkTranscript fetches a ceremony's whole transcript.
func (s *Session) zkTranscript(ctx context.Context, c *rights.ZKCeremony) (*zk.Transcript, error) {
	p1, err := s.fetchZK(ctx, c, 1)
	if err != nil {
		return nil, err
	}
	p2, err := s.fetchZK(ctx, c, 2)
	if err != nil {
		return nil, err
	}
	return &zk.Transcript{Phase1: p1, Phase1Beacon: c.Beacon1.Hash, Phase2: p2, Phase2Beacon: c.Beacon2.Hash}, nil
}

// FinishZKCeremony finishes ceremony id once every participant contributed to both phases and
// both beacons are recorded (it waits for the last beacon block): it verifies the whole
// transcript, derives the proving and verifying keys, uploads the proving key, and posts the
// verifying key, the proving key's digest and the transcript digest, signed by from (any
// registered party). The chain registers the keys for the ceremony's circuit.
func (s *Session) FinishZKCeremony(ctx context.Context, from, id string, progress func(string)) (*rights.ZKCeremony, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	var c *rights.ZKCeremony
	for {
		if c, err = client.Get[rights.ZKCeremony](ctx, s.Chain, id); err != nil {
			return nil, fmt.Errorf("setup ceremony %s: %w", id, err)
		}
		if c.Status == rights.ZKCeremonyReady {
			break
		}
		switch c.Status {
		case rights.ZKCeremonyBeacon2:
		case rights.ZKCeremonyFinished:
			return nil, fmt.Errorf("setup ceremony %s was already finished by %s at height %d", id, c.FinishedBy, c.Finished)
		default:
			return nil, fmt.Errorf("setup ceremony %s cannot be finished yet: %s", id, ZKWaitingFor(c))
		}
		if err := sleepCtx(ctx, zkPoll); err != nil {
			return nil, err
		}
	}
	ccs, err := zk.CompileChunk(int(c.ChunkSize), int(c.Width))
	if err != nil {
		return nil, err
	}
	say(progress, "verifying the transcript of setup ceremony %s and deriving its keys", id)
	t, err := s.zkTranscript(ctx, c)
	if err != nil {
		return nil, err
	}
	keys, err := zk.VerifyTranscript(ccs, t)
	if err != nil {
		return nil, blameZK(c, err, "refusing to finish")
	}
	if rights.Digest(keys.Digest) != c.Transcript {
		return nil, fmt.Errorf("the transcript digest %x differs from the %s the chain computed for setup ceremony %s", keys.Digest, c.Transcript, id)
	}
	pk, err := storage.PutBytes(ctx, s.Bucket, keys.PK)
	if err != nil {
		return nil, fmt.Errorf("upload the proving key: %w", err)
	}
	if _, err := s.submit(ctx, k, rights.Msg{FinishZKCeremony: &rights.FinishZKCeremony{
		Ceremony: id, VK: keys.VK, PK: rights.Digest(pk), Transcript: c.Transcript}}); err != nil {
		return nil, fmt.Errorf("post the keys of setup ceremony %s: %w", id, err)
	}
	return client.Get[rights.ZKCeremony](ctx, s.Chain, id)
}

// ZKCheck is one check of a ceremony verification.
type ZKCheck struct {
	Name   string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// ZKVerdict is what VerifyZKCeremony found.
type ZKVerdict struct {
	Ceremony  string                  `json:"ceremony"`
	ChunkSize uint64                  `json:"chunk_size"`
	Width     uint32                  `json:"width"`
	Status    rights.ZKCeremonyStatus `json:"status"`
	// Valid: every check passed. For a ceremony not finished yet the checks cover the
	// contributions made so far.
	Valid    bool      `json:"valid"`
	Finished bool      `json:"finished"`
	Checks   []ZKCheck `json:"checks"`
	// Bad names the first bad contribution, if a contribution is what failed.
	Bad     *ZKContributionError `json:"-"`
	Seconds float64              `json:"verify_s"`
}

// VerifyZKCeremony checks ceremony id from the chain and storage alone: every contribution object
// against its digest on chain, each beacon against the hash of its block, the whole transcript
// (every contribution against the one before it, with its proof of knowledge), and, for a
// finished ceremony, that the transcript digest, the verifying key, the proving key digest and
// the registered circuit recorded on chain are the ones the transcript implies. A failed check is
// a verdict, not an error; errors are for a chain or storage that does not answer.
func (s *Session) VerifyZKCeremony(ctx context.Context, id string) (*ZKVerdict, error) {
	start := time.Now()
	c, err := client.Get[rights.ZKCeremony](ctx, s.Chain, id)
	if err != nil {
		return nil, fmt.Errorf("setup ceremony %s: %w", id, err)
	}
	v := &ZKVerdict{Ceremony: id, ChunkSize: c.ChunkSize, Width: c.Width, Status: c.Status, Finished: c.Status == rights.ZKCeremonyFinished}
	check := func(name string, ok bool, format string, args ...any) bool {
		v.Checks = append(v.Checks, ZKCheck{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
		return ok
	}
	defer func() {
		v.Valid = true
		for _, ch := range v.Checks {
			v.Valid = v.Valid && ch.OK
		}
		v.Seconds = time.Since(start).Seconds()
	}()
	fail := func(name string, err error) (*ZKVerdict, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var bad *ZKContributionError
		if errors.As(err, &bad) {
			v.Bad = bad
		}
		check(name, false, "%v", err)
		return v, nil
	}

	ccs, err := zk.CompileChunk(int(c.ChunkSize), int(c.Width))
	if err != nil {
		return nil, err
	}
	t, err := s.zkTranscript(ctx, c)
	if err != nil {
		return fail("contributions", err)
	}
	check("contributions", true, "%d phase-1 and %d phase-2 contribution objects match their digests on chain", len(t.Phase1), len(t.Phase2))

	for i, b := range []rights.ZKBeacon{c.Beacon1, c.Beacon2} {
		if len(b.Hash) == 0 {
			continue
		}
		h, err := s.Chain.BlockHash(ctx, b.Height)
		if err != nil {
			return nil, err
		}
		check(fmt.Sprintf("beacon %d", i+1), bytes.Equal(h, b.Hash), "the phase-%d beacon %x is the hash of block %d (%x)", i+1, b.Hash, b.Height, h)
	}

	if c.Status != rights.ZKCeremonyReady && c.Status != rights.ZKCeremonyFinished {
		// Not sealed yet: check what exists so far.
		domain := zk.CeremonyDomain(ccs)
		if _, err := zk.CheckPhase1(domain, t.Phase1); err != nil {
			return fail("transcript", blameZK(c, err, "invalid"))
		}
		if len(c.Beacon1.Hash) > 0 {
			srs, err := zk.VerifyPhase1(domain, t.Phase1, c.Beacon1.Hash)
			if err != nil {
				return fail("transcript", blameZK(c, err, "invalid"))
			}
			if _, err := zk.CheckPhase2(ccs, srs, t.Phase2); err != nil {
				return fail("transcript", blameZK(c, err, "invalid"))
			}
		}
		check("transcript", true, "the %d contributions so far each build on the one before and prove knowledge of their update; the ceremony is %s", len(t.Phase1)+len(t.Phase2), c.Status)
		return v, nil
	}

	keys, err := zk.VerifyTranscript(ccs, t)
	if err != nil {
		return fail("transcript", blameZK(c, err, "invalid"))
	}
	check("transcript", true, "every contribution builds on the one before and proves knowledge of its update; both phases sealed with their beacons")
	check("transcript digest", rights.Digest(keys.Digest) == c.Transcript, "the transcript's digest %x is the one on chain (%s)", keys.Digest, c.Transcript)
	if c.Status != rights.ZKCeremonyFinished {
		return v, nil
	}
	check("verifying key", bytes.Equal(keys.VK, c.VK), "the verifying key on chain (%d bytes) is the one the transcript implies (%d bytes)", len(c.VK), len(keys.VK))
	pk := sha256.Sum256(keys.PK)
	if check("proving key", rights.Digest(pk) == c.PK, "the proving key digest on chain %s is the digest of the one the transcript implies (%x)", c.PK, pk) {
		// Read it through: an object under the key proves nothing until it hashes to it.
		ok, err := intact(ctx, s.Bucket, storage.Digest(c.PK))
		if err != nil {
			return nil, err
		}
		check("proving key object", ok, "storage holds the proving key object %s, and it matches its digest", c.PK)
	}
	// The registry is what the chain verifies listings against: its entry must be these keys.
	reg, err := client.Get[rights.Circuit](ctx, s.Chain, rights.CircuitID(c.ChunkSize, c.Width))
	if err != nil && !errors.Is(err, rights.ErrNotFound) {
		return nil, err
	}
	check("registered", reg != nil && bytes.Equal(reg.VK, keys.VK) && reg.PK == rights.Digest(pk) && reg.Setup == c.Transcript.String() &&
		reg.ChunkSize == c.ChunkSize && reg.Width == c.Width,
		"the circuit registered for %d values of %d bits carries these keys with setup %s", c.ChunkSize, c.Width, c.Transcript)
	return v, nil
}

func say(progress func(string), format string, args ...any) {
	if progress != nil {
		progress(fmt.Sprintf(format, args...))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
