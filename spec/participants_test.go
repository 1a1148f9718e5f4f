package spec

import "testing"

func TestParticipants(t *testing.T) {
	for _, tc := range []struct{ n, t, want int }{
		{3, 2, 3}, {4, 2, 3}, {5, 3, 5}, {7, 3, 5}, {1, 1, 1}, {2, 2, 2},
	} {
		if got := Participants(tc.n, tc.t); got != tc.want {
			t.Errorf("Participants(%d, %d) = %d, want %d", tc.n, tc.t, got, tc.want)
		}
	}
}
