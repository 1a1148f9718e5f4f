package rights

import (
	"slices"
	"strconv"
)

func knownRole(r Role) bool {
	switch r {
	case RoleOwner, RoleBuyer, RoleRegulator, RoleMember:
		return true
	}
	return false
}

func (p *Party) hasRole(r Role) bool { return slices.Contains(p.Roles, r) }

// registerParty registers the sender with the roles it asks for. The owner and buyer roles and
// the credits come from the sender's admission (an AdmitParty) when it has one; without one, an
// open-admission chain (a devnet) credits the opening credit, and a regulator-admission chain
// refuses the owner and buyer roles and credits nothing (a regulator or member registering).
func (x *exec) registerParty(m *RegisterParty) error {
	if p, err := x.party(x.sender); err != nil {
		return err
	} else if p != nil {
		return refuse(CodeAlreadyRegistered, "%s is already registered", x.sender)
	}
	if len(m.Roles) == 0 {
		return refuse(CodeBadRoles, "a party must ask for at least one role (owner, buyer, regulator or member)")
	}
	for i, r := range m.Roles {
		if !knownRole(r) {
			return refuse(CodeBadRoles, "role %q is unknown (want owner, buyer, regulator or member)", r)
		}
		if slices.Contains(m.Roles[:i], r) {
			return refuse(CodeBadRoles, "role %q is listed twice", r)
		}
	}
	params, err := x.params()
	if err != nil {
		return err
	}
	if slices.Contains(m.Roles, RoleRegulator) {
		regs, err := x.regulators()
		if err != nil {
			return err
		}
		if !slices.Contains(regs, x.sender) {
			return refuse(CodeRoleNotAllowed, "role regulator is only for the regulators genesis names or a vote added, and %s is not one", x.sender)
		}
	}
	if slices.Contains(m.Roles, RoleMember) {
		c, err := x.committee()
		if err != nil {
			return err
		}
		if c.member(x.sender) < 0 {
			return refuse(CodeRoleNotAllowed, "role member is only for committee members, and %s is not one", x.sender)
		}
	}
	if slices.Contains(m.Roles, RoleBuyer) && m.RLWEKey.IsZero() {
		return refuse(CodeMissingRLWEKey, "a buyer must name the digest of its RLWE public key (RLWEKey is zero)")
	}
	credit, err := x.admittedCredit(m, params)
	if err != nil {
		return err
	}
	p := &Party{
		Address:    x.sender,
		PubKey:     x.tx.PubKey,
		Roles:      m.Roles,
		RLWEKey:    m.RLWEKey,
		Balance:    credit,
		Credited:   credit,
		Registered: x.b.Height,
	}
	if err := x.putParty(p); err != nil {
		return err
	}
	x.emit(Event{Action: "register_party", Parties: []Address{x.sender}, Attrs: roleAttrs(m.Roles)})
	return nil
}

// admittedCredit checks a registration against the sender's admission and the chain's admission
// rule, consumes the admission, and returns what the party is credited.
func (x *exec) admittedCredit(m *RegisterParty, params *Params) (uint64, error) {
	var adm Admission
	k := key(prefixAdmission, string(x.sender))
	admitted, err := load(x.s, k, &adm)
	if err != nil {
		return 0, err
	}
	if admitted {
		for _, r := range m.Roles {
			if (r == RoleOwner || r == RoleBuyer) && !slices.Contains(adm.Roles, r) {
				return 0, refuse(CodeBadAdmission, "%s asks for role %s, but regulator %s admitted it only as %v", x.sender, r, adm.Regulator, adm.Roles)
			}
		}
		if slices.Contains(m.Roles, RoleBuyer) && m.RLWEKey != adm.RLWEKey {
			return 0, refuse(CodeBadAdmission, "%s names RLWE key %s, but its admission names %s", x.sender, m.RLWEKey, adm.RLWEKey)
		}
		if err := x.s.Delete(k); err != nil {
			return 0, err
		}
		return adm.Credit, nil
	}
	gen, err := x.genesis()
	if err != nil {
		return 0, err
	}
	if gen.AdmissionRule() == AdmissionOpen {
		return params.OpeningCredit, nil
	}
	for _, r := range m.Roles {
		if r == RoleOwner || r == RoleBuyer {
			return 0, refuse(CodeNotAdmitted, "%s asks for role %s, but on this chain a regulator must first admit it (AdmitParty)", x.sender, r)
		}
	}
	return 0, nil
}

// maxAdmitCredit bounds one admission's credit, so no sum of credits can overflow a balance.
const maxAdmitCredit = 1 << 48

// admitParty records a regulator's admission of an address as owner or buyer, with its credit
// and (a buyer's) RLWE key, for the address's RegisterParty to complete.
func (x *exec) admitParty(m *AdmitParty) error {
	if _, err := x.mustRegulator("admit parties"); err != nil {
		return err
	}
	if !validAddress(m.Address) {
		return refuse(CodeBadAdmission, "admitted address %q is not an address (40 lower-case hex digits)", m.Address)
	}
	if p, err := x.party(m.Address); err != nil {
		return err
	} else if p != nil {
		return refuse(CodeAlreadyRegistered, "%s is already registered, so it cannot be admitted", m.Address)
	}
	if len(m.Roles) == 0 {
		return refuse(CodeBadAdmission, "an admission must name at least one role (owner or buyer)")
	}
	for i, r := range m.Roles {
		if r != RoleOwner && r != RoleBuyer {
			return refuse(CodeBadAdmission, "an admission names only the owner and buyer roles, not %q (regulators and members come from genesis or a vote)", r)
		}
		if slices.Contains(m.Roles[:i], r) {
			return refuse(CodeBadAdmission, "role %q is listed twice", r)
		}
	}
	buyer := slices.Contains(m.Roles, RoleBuyer)
	if buyer && m.RLWEKey.IsZero() {
		return refuse(CodeMissingRLWEKey, "a buyer's admission must name the digest of its RLWE public key (RLWEKey is zero)")
	}
	if !buyer && !m.RLWEKey.IsZero() {
		return refuse(CodeBadAdmission, "an admission without the buyer role names no RLWE key")
	}
	if m.Credit > maxAdmitCredit {
		return refuse(CodeBadAdmission, "an admission credits at most %d, not %d", uint64(maxAdmitCredit), m.Credit)
	}
	adm := &Admission{Address: m.Address, Roles: m.Roles, Credit: m.Credit, RLWEKey: m.RLWEKey, Regulator: x.sender, Height: x.b.Height}
	if err := save(x.s, key(prefixAdmission, string(m.Address)), adm); err != nil {
		return err
	}
	x.emit(Event{Action: "admit_party", Parties: []Address{x.sender, m.Address},
		Attrs: append(roleAttrs(m.Roles), Attr{"credit", strconv.FormatUint(m.Credit, 10)})})
	return nil
}

func roleAttrs(roles []Role) []Attr {
	out := make([]Attr, len(roles))
	for i, r := range roles {
		out[i] = Attr{"role", string(r)}
	}
	return out
}
