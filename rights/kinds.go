package rights

import (
	"bytes"
	"maps"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ProofOpIAVL is the type of the one proof op a proven query answer carries: an ICS23
// CommitmentProof (protobuf) of the object's key in the IAVL tree, whose root is the AppHash.
const ProofOpIAVL = "ics23:iavl"

// ObjectKind is a kind of object the chain keeps: where it is stored, how it is queried and what
// it decodes into. objectKinds is the one table of them; the query route (Ledger.Query), the
// proofs of stored keys and the client's readers all work from it.
//
// A kind with an id (party, dataset, ...) is read one at a time at /NAME/ID and listed at
// /PLURAL, and some lists are filtered by an index at /PLURAL/BY/VALUE (/datasets/holder/ADDR);
// a chain-wide kind (committee, genesis, params) is read at /NAME.
type ObjectKind struct {
	Name     string
	Plural   string // the list of every object of the kind; "" if not listed
	Singular bool   // chain-wide: no id

	typ     reflect.Type                                  // what one object decodes into
	key     func(id string) []byte                        // where object id is stored; nil if not one at a time
	listKey []byte                                        // where the whole list is stored, if under one key
	get     func(l *Ledger, id string) (any, error)       // one object; nil if not one at a time
	list    func(l *Ledger) (any, error)                  // every object; nil if not listed
	by      map[string]func(*Ledger, string) (any, error) // the filtered lists, by filter
	// hidden kinds are served but not offered by ObjectKinds and LookupKind (`dxp query`).
	hidden bool
}

// Path is the query path of the object id of this kind.
func (k ObjectKind) Path(id string) string {
	if k.Singular {
		return "/" + k.Name
	}
	return "/" + k.Name + "/" + id
}

// ListPath is the query path of every object of this kind.
func (k ObjectKind) ListPath() string { return "/" + k.Plural }

// ByPath is the query path of the objects of this kind whose filter by has value v
// (/datasets/holder/ADDR), false if the kind has no such filter.
func (k ObjectKind) ByPath(by, v string) (string, bool) {
	if _, ok := k.by[by]; !ok {
		return "", false
	}
	return "/" + k.Plural + "/" + by + "/" + v, true
}

// Key is where the chain stores the object id of this kind, the key its proof is for.
func (k ObjectKind) Key(id string) []byte { return k.key(id) }

// New returns a pointer to a zero object of this kind, to decode into.
func (k ObjectKind) New() any { return reflect.New(k.typ).Interface() }

// One returns the kind of object read one at a time whose objects are Ts, false if there is none.
func One[T any]() (ObjectKind, bool) {
	t := reflect.TypeFor[T]()
	for _, k := range objectKinds {
		if k.typ == t && k.get != nil {
			return k, true
		}
	}
	return ObjectKind{}, false
}

// Listed returns the kind of object listed as []T, false if there is none. The regulators are
// the list of Address.
func Listed[T any]() (ObjectKind, bool) {
	t := reflect.TypeFor[T]()
	for _, k := range objectKinds {
		if k.typ == t && k.list != nil {
			return k, true
		}
	}
	return ObjectKind{}, false
}

func keyed(prefix []byte) func(string) []byte {
	return func(id string) []byte { return key(prefix, id) }
}

func fixed(k []byte) func(string) []byte {
	return func(string) []byte { return bytes.Clone(k) }
}

// kind builds a table entry from the ledger's typed getters; get or list may be nil.
func kind[T any](name, plural string, key func(string) []byte, get func(*Ledger, string) (*T, error), list func(*Ledger) ([]T, error)) ObjectKind {
	k := ObjectKind{Name: name, Plural: plural, typ: reflect.TypeFor[T](), key: key}
	if get != nil {
		k.get = func(l *Ledger, id string) (any, error) { return get(l, id) }
	}
	if list != nil {
		k.list = func(l *Ledger) (any, error) { return list(l) }
	}
	return k
}

// singular builds the entry of a chain-wide object stored at k.
func singular[T any](name string, k []byte, get func(*Ledger) (*T, error)) ObjectKind {
	return ObjectKind{Name: name, Singular: true, typ: reflect.TypeFor[T](), key: fixed(k),
		get: func(l *Ledger, _ string) (any, error) { return get(l) }}
}

// byIndexOf makes a ledger's filtered list a table filter.
func byIndexOf[T any, V ~string](f func(*Ledger, V) ([]T, error)) func(*Ledger, string) (any, error) {
	return func(l *Ledger, v string) (any, error) { return f(l, V(v)) }
}

// filter returns k with the filtered list by served by f.
func (k ObjectKind) filter(by string, f func(*Ledger, string) (any, error)) ObjectKind {
	k.by = maps.Clone(k.by)
	if k.by == nil {
		k.by = map[string]func(*Ledger, string) (any, error){}
	}
	k.by[by] = f
	return k
}

// hide returns k left out of ObjectKinds and LookupKind.
func (k ObjectKind) hide() ObjectKind {
	k.hidden = true
	return k
}

// listedAt returns k with its whole list stored under key, which a proof of the list is for.
func (k ObjectKind) listedAt(key []byte) ObjectKind {
	k.listKey = key
	return k
}

// objectKinds is every kind of object the chain serves by id or lists, one line each.
var objectKinds = []ObjectKind{
	kind("party", "parties", keyed(prefixParty), func(l *Ledger, id string) (*Party, error) { return l.Party(Address(id)) }, (*Ledger).Parties),
	kind("dataset", "datasets", keyed(prefixDataset), (*Ledger).Dataset, (*Ledger).Datasets).
		filter("holder", byIndexOf((*Ledger).DatasetsByHolder)).
		filter("status", byIndexOf((*Ledger).DatasetsByStatus)),
	kind("grant", "grants", keyed(prefixGrant), (*Ledger).Grant, (*Ledger).Grants).
		filter("grantee", byIndexOf((*Ledger).GrantsByGrantee)).
		filter("dataset", byIndexOf((*Ledger).GrantsByDataset)),
	kind("computation", "computations", keyed(prefixComp), (*Ledger).Computation, (*Ledger).Computations).
		filter("grant", byIndexOf((*Ledger).ComputationsByGrant)),
	kind("product", "products", keyed(prefixProduct), (*Ledger).Product, (*Ledger).Products).
		filter("holder", byIndexOf((*Ledger).ProductsByHolder)),
	kind("hold", "holds", keyed(prefixHold), (*Ledger).Hold, (*Ledger).Holds),
	kind("proposal", "proposals", keyed(prefixProposal), (*Ledger).Proposal, (*Ledger).Proposals),
	kind("circuit", "circuits", keyed(prefixCircuit), (*Ledger).Circuit, (*Ledger).Circuits),
	// Setup ceremonies (tx_zkceremony.go): served at /zkceremony/ID, not offered by `dxp query`.
	kind("zkceremony", "zkceremonies", keyed(prefixZKCeremony), (*Ledger).ZKCeremony, (*Ledger).ZKCeremonies).hide(),
	kind("admission", "admissions", keyed(prefixAdmission), func(l *Ledger, id string) (*Admission, error) { return l.Admission(Address(id)) }, (*Ledger).Admissions),
	kind[Payment]("payment", "payments", nil, nil, (*Ledger).Payments),
	kind[Address]("regulator", "regulators", nil, nil, (*Ledger).Regulators).listedAt(keyRegulators),
	singular("committee", keyCommittee, (*Ledger).Committee),
	singular("genesis", keyGenesis, (*Ledger).Genesis),
	singular("params", keyParams, (*Ledger).Params),
}

// readable reports whether `dxp query` reads objects of the kind one at a time.
func (k ObjectKind) readable() bool { return k.get != nil && !k.hidden }

// ObjectKinds returns the kinds of object that `dxp query` reads one at a time, sorted by name.
func ObjectKinds() []ObjectKind {
	var out []ObjectKind
	for _, k := range objectKinds {
		if k.readable() {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupKind returns the object kind called name, of those ObjectKinds returns.
func LookupKind(name string) (ObjectKind, bool) {
	for _, k := range objectKinds {
		if k.Name == name && k.readable() {
			return k, true
		}
	}
	return ObjectKind{}, false
}

// Query answers one query path as the ABCI application serves it, in canonical CBOR: an object
// by id (/KIND/ID) or a chain-wide one (/committee, /genesis, /params), every object of a kind
// (/datasets, /regulators, ...), a filtered list (queryFiltered), /zkcircuit/N/W, and
// /live/ID/HEIGHT/UNIX (Ledger.Liveness, whether a computation would take a member's post). It returns
// the answer and, for a single object, the store key it is read from (also when the object is
// absent, so that a proven query can prove the absence). An unknown path is a *TxError with
// CodeUnknownQuery; an unknown id wraps ErrNotFound.
func (l *Ledger) Query(path string) (value, k []byte, err error) {
	p := strings.TrimPrefix(path, "/")
	name, id, hasID := strings.Cut(p, "/")
	if hasID && id == "" {
		return nil, nil, refuse(CodeUnknownQuery, "query %q names no id", path)
	}
	unknown := refuse(CodeUnknownQuery, "unknown query path %q", path)
	var (
		v  any
		ok bool
	)
	switch {
	case name == "live" && hasID:
		parts := strings.Split(id, "/")
		var h, t int64
		var herr, terr error
		if len(parts) == 3 {
			h, herr = strconv.ParseInt(parts[1], 10, 64)
			t, terr = strconv.ParseInt(parts[2], 10, 64)
		}
		if len(parts) != 3 || parts[0] == "" || herr != nil || terr != nil {
			return nil, nil, refuse(CodeUnknownQuery, "query %q must name a computation, a block height and a unix time, as /live/cp-1/100/1700000000", path)
		}
		v, err = l.Liveness(parts[0], Block{Height: h, Time: time.Unix(t, 0)})
	case name == "zkcircuit" && hasID:
		ns, ws, _ := strings.Cut(id, "/")
		n, nerr := strconv.ParseUint(ns, 10, 64)
		w, werr := strconv.ParseUint(ws, 10, 32)
		if nerr != nil || werr != nil {
			return nil, nil, refuse(CodeUnknownQuery, "query %q must name a chunk size and a width, as /zkcircuit/1024/32", path)
		}
		v, err = l.ZKCircuit(n, uint32(w))
	case hasID:
		if kd, found := kindNamed(name); found && !kd.Singular && kd.get != nil {
			v, err = kd.get(l, id)
			k = kd.key(id)
			break
		}
		if v, ok, err = l.queryFiltered(name, id); !ok {
			return nil, nil, unknown
		}
	default:
		if kd, found := kindNamed(name); found && kd.Singular {
			v, err = kd.get(l, "")
			k = kd.key("")
			break
		}
		kd, found := kindListed(name)
		if !found {
			return nil, nil, unknown
		}
		v, err = kd.list(l)
		k = bytes.Clone(kd.listKey)
	}
	if err != nil {
		return nil, k, err // k lets a proven query prove the absence
	}
	b, err := marshal(v)
	if err != nil {
		return nil, nil, err
	}
	return b, k, nil
}

// queryFiltered answers the filtered lists, PLURAL/rest: the filters of objectKinds
// (/datasets/holder/<address>, /grants/grantee/<address>, /grants/dataset/<id>,
// /computations/grant/<id>, /products/holder/<address>), /computations/underway (pending or
// switching, in deadline order) and /frozen/<kind>/<id>. ok is false for any other path.
func (l *Ledger) queryFiltered(plural, rest string) (v any, ok bool, err error) {
	if plural == "computations" && rest == "underway" {
		v, err = l.ComputationsUnderWay()
		return v, true, err
	}
	by, id, cut := strings.Cut(rest, "/")
	if !cut || id == "" || strings.Contains(id, "/") {
		return nil, false, nil
	}
	if plural == "frozen" {
		v, err = l.HoldsOn(HoldKind(by), id)
		return v, true, err
	}
	kd, found := kindListed(plural)
	if !found || kd.by[by] == nil {
		return nil, false, nil
	}
	v, err = kd.by[by](l, id)
	return v, true, err
}

func kindNamed(name string) (ObjectKind, bool) {
	for _, k := range objectKinds {
		if k.Name == name {
			return k, true
		}
	}
	return ObjectKind{}, false
}

func kindListed(plural string) (ObjectKind, bool) {
	for _, k := range objectKinds {
		if k.Plural == plural && k.list != nil {
			return k, true
		}
	}
	return ObjectKind{}, false
}
