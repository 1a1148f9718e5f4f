package mpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/dxplabs/dxp/spec"
)

// memObjects is an in-memory content-addressed store that verifies digests on read, as storage does.
type memObjects struct {
	mu   sync.Mutex
	objs map[[32]byte][]byte
	puts int
}

func newMemObjects() *memObjects { return &memObjects{objs: make(map[[32]byte][]byte)} }

func (o *memObjects) Put(_ context.Context, data []byte) ([32]byte, error) {
	d := sha256.Sum256(data)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.puts++
	if _, ok := o.objs[d]; !ok {
		o.objs[d] = bytes.Clone(data)
	}
	return d, nil
}

func (o *memObjects) Get(_ context.Context, d [32]byte) ([]byte, error) {
	o.mu.Lock()
	b, ok := o.objs[d]
	o.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("object %x: %w", d[:6], ErrNotFound)
	}
	if sha256.Sum256(b) != d {
		return nil, fmt.Errorf("object %x: digest mismatch", d[:6])
	}
	return b, nil
}

// memChain mimics the chain's committee and computation rules: one post per member and step, no
// digest another member posted (but at "keys"), Ready
// (with Keys) once Threshold members posted identical "keys" digests; a computation moves to the
// switch phase once Threshold members posted the same output digest, with Active the first
// Threshold of them, records the members that posted another digest, and completes once every
// active member posted its share.
type memChain struct {
	mu        sync.Mutex
	members   []string
	threshold int
	epoch     uint64
	seed      []byte
	shares    map[string]map[string][][32]byte
	keys      [][32]byte
	ready     bool
	tasks     []*memTask
	listings  []*memListing // pending datasets and their verdicts
	rejected  []string      // posts the chain refused

	// hook, if set, runs on every ceremony post before it is recorded. It returns whether to
	// record the post and the error to return to the member (a post can be recorded and still
	// report an error, as when a client times out on a committed transaction).
	hook func(member, step string, digests [][32]byte) (record bool, err error)
	// taskHook, if set, does the same for PostOutput ("output") and PostShare ("share"); it may
	// also change the digest to record.
	taskHook func(member, kind, task string, d *[32]byte) (record bool, err error)
}

type memTask struct {
	Task               // the request: ID, Op, inputs, BuyerKey, DP
	phase     string   // PhaseEvaluate, PhaseSwitch or "done"
	posted    []string // members in the order they posted outputs
	outputs   map[string][32]byte
	noise     map[string][32]byte // noise dealing digests posted with the outputs (DP tasks)
	output    [32]byte
	active    []string
	disagreed []string
	shares    map[string][32]byte
	refused   map[string]string // member -> reason; Threshold of them fail the task ("refused")
	dead      string            // why the chain no longer takes posts for it (a grant expired, ...); "" while live
}

// memListing is a dataset whose inputs the members check: pending until Threshold verdicts agree.
type memListing struct {
	Task                       // ID, Columns, ColumnNames, Tables
	verdicts map[string]string // member -> reason ("" valid)
	status   string            // "pending", "listed" or "refused"
}

// addListing adds a pending dataset for the members to check.
func (c *memChain) addListing(t Task) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listings = append(c.listings, &memListing{Task: t, verdicts: map[string]string{}, status: "pending"})
}

// listing returns a copy of a listing's record.
func (c *memChain) listing(id string) memListing {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.listings {
		if l.ID == id {
			cp := *l
			cp.verdicts = maps.Clone(l.verdicts)
			return cp
		}
	}
	return memListing{}
}

func newMemChain(members []string, threshold int, seed string) *memChain {
	return &memChain{
		members:   members,
		threshold: threshold,
		epoch:     1,
		seed:      []byte(seed),
		shares:    make(map[string]map[string][][32]byte),
	}
}

func (c *memChain) board(member string) Board { return &memBoard{c: c, member: member} }

func (c *memChain) addTask(t Task) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tasks = append(c.tasks, &memTask{Task: t, phase: PhaseEvaluate, outputs: map[string][32]byte{}, noise: map[string][32]byte{}, shares: map[string][32]byte{}, refused: map[string]string{}})
}

// removeTask drops a task, as the chain does when it completes, expires or is aborted.
func (c *memChain) removeTask(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tasks = slices.DeleteFunc(c.tasks, func(t *memTask) bool { return t.ID == id })
}

func (c *memChain) task(id string) *memTask {
	for _, t := range c.tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// state returns a copy of a task's chain record.
func (c *memChain) state(id string) memTask {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.task(id)
	if t == nil {
		return memTask{}
	}
	cp := *t
	cp.active = slices.Clone(t.active)
	cp.disagreed = slices.Clone(t.disagreed)
	cp.outputs = maps.Clone(t.outputs)
	cp.noise = maps.Clone(t.noise)
	cp.shares = maps.Clone(t.shares)
	cp.refused = maps.Clone(t.refused)
	return cp
}

func (c *memChain) view() *CommitteeView {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := &CommitteeView{
		Members:   slices.Clone(c.members),
		Threshold: c.threshold,
		Epoch:     c.epoch,
		Seed:      bytes.Clone(c.seed),
		Shares:    make(map[string]map[string][][32]byte),
		Keys:      slices.Clone(c.keys),
		Ready:     c.ready,
	}
	for step, byMember := range c.shares {
		v.Shares[step] = make(map[string][][32]byte)
		for m, d := range byMember {
			v.Shares[step][m] = slices.Clone(d)
		}
	}
	return v
}

type memBoard struct {
	c      *memChain
	member string
}

func (b *memBoard) Committee(context.Context) (*CommitteeView, error) { return b.c.view(), nil }

func (c *memChain) refuse(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	c.rejected = append(c.rejected, err.Error())
	return err
}

func (b *memBoard) PostCeremony(_ context.Context, step string, digests [][32]byte) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.members, b.member) {
		return c.refuse("%s is not a member", b.member)
	}
	if c.ready {
		return c.refuse("%s posted %s after the committee was ready", b.member, step)
	}
	if len(digests) == 0 {
		return c.refuse("%s posted no digests for %s", b.member, step)
	}
	if _, dup := c.shares[step][b.member]; dup {
		return c.refuse("%s posted %s twice", b.member, step)
	}
	if step != stepKeys { // as the chain: no copy of another member's commitment
		for s, byMember := range c.shares {
			for a, ds := range byMember {
				if s != stepKeys && a != b.member && slices.ContainsFunc(digests, func(d [32]byte) bool { return slices.Contains(ds, d) }) {
					return c.refuse("%s posted a copy of %s's %s share", b.member, a, s)
				}
			}
		}
	}
	var hookErr error
	if c.hook != nil {
		record, err := c.hook(b.member, step, digests)
		if !record {
			return err
		}
		hookErr = err
	}
	if c.shares[step] == nil {
		c.shares[step] = make(map[string][][32]byte)
	}
	c.shares[step][b.member] = slices.Clone(digests)
	if step == stepKeys {
		agree := 0
		for _, d := range c.shares[stepKeys] {
			if slices.Equal(d, digests) {
				agree++
			}
		}
		if agree >= c.threshold {
			c.ready, c.keys = true, slices.Clone(digests)
		}
	}
	return hookErr
}

func (b *memBoard) Tasks(context.Context) ([]Task, error) {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Task
	for _, l := range c.listings {
		if _, ok := l.verdicts[b.member]; !ok && l.status == "pending" {
			tt := l.Task
			tt.Phase = PhaseInputs
			out = append(out, tt)
		}
	}
	for _, t := range c.tasks {
		if _, ok := t.refused[b.member]; ok {
			continue
		}
		switch t.phase {
		case PhaseEvaluate:
			if _, ok := t.outputs[b.member]; !ok {
				tt := t.Task
				tt.Phase = PhaseEvaluate
				out = append(out, tt)
			}
		case PhaseSwitch:
			if _, ok := t.shares[b.member]; !ok && slices.Contains(t.active, b.member) {
				tt := t.Task
				tt.Phase, tt.Output, tt.Active = PhaseSwitch, t.output, slices.Clone(t.active)
				if t.DP != nil {
					for _, a := range t.active {
						tt.Noise = append(tt.Noise, t.noise[a])
					}
				}
				out = append(out, tt)
			}
		}
	}
	return out, nil
}

func (b *memBoard) PostOutput(_ context.Context, task string, output, noise [32]byte) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.task(task)
	if t == nil {
		return c.refuse("unknown task %s", task)
	}
	if t.dead != "" {
		return c.refuse("%s posted an output for %s, which is no longer live: %s", b.member, task, t.dead)
	}
	if _, dup := t.outputs[b.member]; dup {
		return c.refuse("%s posted an output for %s twice", b.member, task)
	}
	if t.phase != PhaseEvaluate {
		return c.refuse("%s posted an output for %s in phase %s", b.member, task, t.phase)
	}
	if (t.DP != nil) != (noise != [32]byte{}) { // the chain's rule (codes 98, 99)
		return c.refuse("%s posted an output for %s with noise digest %x (DP %t)", b.member, task, noise[:4], t.DP != nil)
	}
	var hookErr error
	if c.taskHook != nil {
		record, err := c.taskHook(b.member, "output", task, &output)
		if !record {
			return err
		}
		hookErr = err
	}
	t.outputs[b.member] = output
	t.noise[b.member] = noise
	t.posted = append(t.posted, b.member)
	var agree []string
	for _, m := range t.posted {
		if t.outputs[m] == output {
			agree = append(agree, m)
		}
	}
	if q := spec.Participants(len(c.members), c.threshold); len(agree) >= q {
		t.phase, t.output, t.active = PhaseSwitch, output, agree[:q]
		for _, m := range t.posted {
			if t.outputs[m] != output {
				t.disagreed = append(t.disagreed, m)
			}
		}
	}
	return hookErr
}

// kill marks a task no longer live, as the chain sees a computation whose grant expired or
// whose dataset was frozen: Live reports it and posts are refused.
func (c *memChain) kill(id, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.task(id).dead = why
}

func (b *memBoard) Live(_ context.Context, task string) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.task(task)
	if t == nil {
		return fmt.Errorf("unknown task %s", task)
	}
	if t.dead != "" {
		return fmt.Errorf("task %s is no longer live: %s", task, t.dead)
	}
	return nil
}

func (b *memBoard) PostShare(_ context.Context, task string, share [32]byte) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.task(task)
	if t == nil {
		return c.refuse("unknown task %s", task)
	}
	if t.dead != "" {
		return c.refuse("%s posted a share for %s, which is no longer live: %s", b.member, task, t.dead)
	}
	if t.phase != PhaseSwitch || !slices.Contains(t.active, b.member) {
		return c.refuse("%s posted a share for %s but is not active in its switch phase", b.member, task)
	}
	if _, dup := t.shares[b.member]; dup {
		return c.refuse("%s posted a share for %s twice", b.member, task)
	}
	var hookErr error
	if c.taskHook != nil {
		record, err := c.taskHook(b.member, "share", task, &share)
		if !record {
			return err
		}
		hookErr = err
	}
	t.shares[b.member] = share
	if len(t.shares) == len(t.active) {
		t.phase = "done"
	}
	return hookErr
}

// AttestInputs records a verdict once per member while the listing is pending; Threshold
// agreeing verdicts decide it.
func (b *memBoard) AttestInputs(_ context.Context, dataset, reason string) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.listings {
		if l.ID != dataset {
			continue
		}
		if _, ok := l.verdicts[b.member]; ok || l.status != "pending" {
			c.rejected = append(c.rejected, b.member+" attest "+dataset)
			return fmt.Errorf("%s already gave a verdict on %s, or it is %s", b.member, dataset, l.status)
		}
		l.verdicts[b.member] = reason
		agree := 0
		for _, r := range l.verdicts {
			if (r == "") == (reason == "") {
				agree++
			}
		}
		if agree >= c.threshold {
			l.status = map[bool]string{true: "listed", false: "refused"}[reason == ""]
		}
		return nil
	}
	return fmt.Errorf("no listing %s", dataset)
}

func (b *memBoard) RefuseComputation(_ context.Context, task, reason string) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.task(task)
	if t == nil {
		return c.refuse("unknown task %s", task)
	}
	if t.phase != PhaseEvaluate && t.phase != PhaseSwitch {
		return c.refuse("%s refused %s in phase %s", b.member, task, t.phase)
	}
	if _, dup := t.refused[b.member]; dup {
		return c.refuse("%s refused %s twice", b.member, task)
	}
	t.refused[b.member] = reason
	if len(t.refused) >= c.threshold {
		t.phase = "refused"
	}
	return nil
}

// noInputProofs is the input checker of members in tests that list no input proofs: a call means
// a listing the test did not expect, and it is refused.
type noInputProofs struct{}

func (noInputProofs) CheckInput(*InputClaim, []byte, []GroupPolys) error {
	return errors.New("this test lists no input proofs")
}

// recordingChecker is an input checker double for tests of the plumbing around the check (what
// reaches it, what its verdict becomes), not of the check itself (marketplace tests that with
// real proofs): it records every call and refuses the ciphertexts in refuse.
type recordingChecker struct {
	mu     sync.Mutex
	calls  []checkerCall
	refuse map[[32]byte]bool
}

type checkerCall struct {
	claim InputClaim
	proof []byte
	polys []GroupPolys
}

func (c *recordingChecker) CheckInput(claim *InputClaim, proof []byte, polys []GroupPolys) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, checkerCall{*claim, proof, polys})
	if c.refuse[claim.Ciphertext] {
		return errors.New("group 0: the ciphertext and key do not evaluate to the listed values at γ")
	}
	return nil
}
