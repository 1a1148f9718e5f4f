package gateway

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/dxplabs/dxp/gateway/api"
)

// pageParams reads limit (default api.DefaultLimit, at most api.MaxLimit) and cursor.
func pageParams(r *http.Request) (limit int, after string, err error) {
	limit = api.DefaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > api.MaxLimit {
			return 0, "", badRequest(fmt.Sprintf("limit must be a whole number from 1 to %d", api.MaxLimit))
		}
		limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || len(b) == 0 {
			return 0, "", badRequest("cursor is not one this gateway gave")
		}
		after = string(b)
	}
	return limit, after, nil
}

// cursorOf makes the opaque cursor that resumes after the item with sort key k.
func cursorOf(k string) string { return base64.RawURLEncoding.EncodeToString([]byte(k)) }

// page returns the items after the one whose key is after (items are sorted by key here), at
// most limit of them, and the cursor of the next page ("" when done).
func page[T any](items []T, key func(T) string, limit int, after string) api.Page[T] {
	sort.SliceStable(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := 0
	if after != "" {
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	end := min(start+limit, len(items))
	out := api.Page[T]{Items: items[start:end]}
	if out.Items == nil {
		out.Items = []T{}
	}
	if end < len(items) {
		out.NextCursor = cursorOf(key(items[end-1]))
	}
	return out
}
