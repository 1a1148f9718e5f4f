package spec

import "testing"

func TestParticipants(t *testing.T) {
	for _, tc := range []struct {
		n, t int
		dp   bool
		want int
	}{
		{3, 2, false, 3}, {3, 2, true, 3}, {4, 2, false, 3}, {5, 3, false, 5}, {7, 3, false, 5}, {5, 3, true, 5}, {1, 1, false, 1}, {2, 2, false, 2},
	} {
		if got := Participants(tc.n, tc.t, tc.dp); got != tc.want {
			t.Errorf("Participants(%d, %d, %t) = %d, want %d", tc.n, tc.t, tc.dp, got, tc.want)
		}
	}
}
