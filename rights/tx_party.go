package rights

import (
	"slices"
)

func knownRole(r Role) bool {
	switch r {
	case RoleOwner, RoleBuyer, RoleRegulator, RoleMember:
		return true
	}
	return false
}

func (p *Party) hasRole(r Role) bool { return slices.Contains(p.Roles, r) }

// registerParty registers the sender with the roles it asks for and credits the opening credit.
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
	p := &Party{
		Address:    x.sender,
		PubKey:     x.tx.PubKey,
		Roles:      m.Roles,
		RLWEKey:    m.RLWEKey,
		Balance:    params.OpeningCredit,
		Registered: x.b.Height,
	}
	if err := x.putParty(p); err != nil {
		return err
	}
	x.emit(Event{Action: "register_party", Parties: []Address{x.sender}, Attrs: roleAttrs(m.Roles)})
	return nil
}

func roleAttrs(roles []Role) []Attr {
	out := make([]Attr, len(roles))
	for i, r := range roles {
		out[i] = Attr{"role", string(r)}
	}
	return out
}
