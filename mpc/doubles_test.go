package mpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
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
		return nil, fmt.Errorf("object %x: not found", d[:6])
	}
	if sha256.Sum256(b) != d {
		return nil, fmt.Errorf("object %x: digest mismatch", d[:6])
	}
	return b, nil
}

// memChain mimics the chain's committee and computation rules: one post per member and step, Ready
// (with Keys) once Threshold members posted identical "keys" digests, one result per member and task.
type memChain struct {
	mu        sync.Mutex
	members   []string
	threshold int
	epoch     uint64
	seed      []byte
	shares    map[string]map[string][][32]byte
	keys      [][32]byte
	ready     bool
	tasks     []Task
	results   map[string]map[string][2][32]byte // task -> member -> {output, share}
	rejected  []string                          // posts the chain refused

	// hook, if set, runs on every ceremony post before it is recorded. It returns whether to
	// record the post and the error to return to the member (a post can be recorded and still
	// report an error, as when a client times out on a committed transaction).
	hook func(member, step string, digests [][32]byte) (record bool, err error)
}

func newMemChain(members []string, seed string) *memChain {
	return &memChain{
		members:   members,
		threshold: len(members),
		epoch:     1,
		seed:      []byte(seed),
		shares:    make(map[string]map[string][][32]byte),
		results:   make(map[string]map[string][2][32]byte),
	}
}

func (c *memChain) board(member string) Board { return &memBoard{c: c, member: member} }

func (c *memChain) addTask(t Task) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tasks = append(c.tasks, t)
}

// removeTask drops a task, as the chain does when it completes, expires or is aborted.
func (c *memChain) removeTask(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tasks = slices.DeleteFunc(c.tasks, func(t Task) bool { return t.ID == id })
}

func (c *memChain) result(task, member string) ([2][32]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.results[task][member]
	return r, ok
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

func (b *memBoard) PostCeremony(_ context.Context, step string, digests [][32]byte) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	refuse := func(format string, args ...any) error {
		err := fmt.Errorf(format, args...)
		c.rejected = append(c.rejected, err.Error())
		return err
	}
	if !slices.Contains(c.members, b.member) {
		return refuse("%s is not a member", b.member)
	}
	if c.ready {
		return refuse("%s posted %s after the committee was ready", b.member, step)
	}
	if len(digests) == 0 {
		return refuse("%s posted no digests for %s", b.member, step)
	}
	if _, dup := c.shares[step][b.member]; dup {
		return refuse("%s posted %s twice", b.member, step)
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
	for _, t := range c.tasks {
		if _, ok := c.results[t.ID][b.member]; !ok {
			out = append(out, t)
		}
	}
	return out, nil
}

func (b *memBoard) PostResult(_ context.Context, task string, output, share [32]byte) error {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.ContainsFunc(c.tasks, func(t Task) bool { return t.ID == task }) {
		return errors.New("unknown task " + task)
	}
	if _, dup := c.results[task][b.member]; dup {
		c.rejected = append(c.rejected, fmt.Sprintf("%s posted a result for %s twice", b.member, task))
		return fmt.Errorf("%s posted a result for %s twice", b.member, task)
	}
	if c.results[task] == nil {
		c.results[task] = make(map[string][2][32]byte)
	}
	c.results[task][b.member] = [2][32]byte{output, share}
	return nil
}
