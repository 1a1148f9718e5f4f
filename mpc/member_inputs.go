package mpc

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// inputsTask checks the stored inputs of a pending dataset and posts this member's verdict. A
// fault of the listing (an object missing from storage, or not a ciphertext the committee can
// compute on) is an invalid verdict naming it; any other error (storage unreachable, an object
// that does not match its digest in transit) is retried, never judged.
func (m *Member) inputsTask(ctx context.Context, t *Task) error {
	start := time.Now()
	if len(t.ColumnNames) != len(t.Columns) || len(t.Tables) != len(t.Columns) {
		return fmt.Errorf("dataset %s: %d column names and %d tables for %d columns", t.ID, len(t.ColumnNames), len(t.Tables), len(t.Columns))
	}
	reason, err := m.checkInputs(ctx, t)
	if err != nil {
		return err
	}
	if err := m.cfg.Board.AttestInputs(ctx, t.ID, reason); err != nil {
		return fmt.Errorf("post the verdict on dataset %s: %w", t.ID, err)
	}
	if reason != "" {
		m.log.Warn("mpc: refused a listing's inputs", "dataset", t.ID, "reason", reason)
		return nil
	}
	objects := 0
	for i := range t.Columns {
		objects += len(t.Columns[i])
	}
	m.log.Info("mpc: checked a listing's inputs", "dataset", t.ID, "objects", objects, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// checkInputs returns why the dataset's inputs are not what its listing claims ("" if they are):
// every column ciphertext and frequency table must be in storage and parse as a ciphertext under
// the committee's parameters at a level every op can start from (multiBuildLevel).
func (m *Member) checkInputs(ctx context.Context, t *Task) (reason string, err error) {
	check := func(what string, d [32]byte) (string, error) {
		b, err := m.get(ctx, d)
		if errors.Is(err, ErrNotFound) {
			return fmt.Sprintf("%s (%s) is not in storage", what, short(d)), nil
		}
		if err != nil {
			return "", err
		}
		if _, err := m.codec.ciphertext(b, multiBuildLevel); err != nil {
			return fmt.Sprintf("%s (%s) is not a ciphertext the committee can compute on: %v", what, short(d), err), nil
		}
		return "", nil
	}
	for i, col := range t.Columns {
		for j, d := range col {
			if r, err := check(fmt.Sprintf("column %s ciphertext %d", t.ColumnNames[i], j), d); r != "" || err != nil {
				return r, err
			}
		}
		if t.Tables[i] != ([32]byte{}) {
			if r, err := check(fmt.Sprintf("column %s frequency table", t.ColumnNames[i]), t.Tables[i]); r != "" || err != nil {
				return r, err
			}
		}
	}
	return "", nil
}
