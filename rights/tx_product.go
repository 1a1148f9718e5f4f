package rights

import "slices"

// holderProduct loads an unfrozen product the sender holds, for one of the holder's actions.
func (x *exec) holderProduct(id, action string) (*Product, error) {
	p, err := x.product(id)
	if err != nil {
		return nil, err
	}
	if p.Holder != x.sender {
		return nil, refuse(CodeUnauthorized, "%s does not hold product %s, so it cannot %s it", x.sender, id, action)
	}
	holds, err := productHolds(x.s, p)
	if err != nil {
		return nil, err
	}
	if len(holds) > 0 {
		h := holds[0]
		return nil, refuse(CodeFrozen, "product %s is frozen by regulator hold %s on %s %s (%s)", id, h.ID, h.Kind, h.Target, h.Reason)
	}
	return p, nil
}

func (x *exec) productEvent(action string, p *Product, to Address) {
	x.emit(Event{Action: action, Parties: uniqueAddrs([]Address{x.sender, to}), Datasets: p.Datasets, Grant: p.Grant,
		Computation: p.Computation, Attrs: []Attr{{"product", p.ID}, {"to", string(to)}}})
}

// transferProduct hands a product to another registered party; its licensees keep their licences.
func (x *exec) transferProduct(m *TransferProduct) error {
	p, err := x.holderProduct(m.Product, "transfer")
	if err != nil {
		return err
	}
	if _, err := x.recipient(m.To, "product "+p.ID); err != nil {
		return err
	}
	if err := x.delIndex(prefixProductByHolder, string(p.Holder), p.ID); err != nil {
		return err
	}
	if err := x.setIndex(prefixProductByHolder, string(m.To), p.ID); err != nil {
		return err
	}
	p.Transfers = append(p.Transfers, Transfer{From: p.Holder, To: m.To, Height: x.b.Height})
	p.Holder = m.To
	p.Licensees = slices.DeleteFunc(p.Licensees, func(a Address) bool { return a == m.To })
	x.productEvent("transfer_product", p, m.To)
	return save(x.s, key(prefixProduct, p.ID), p)
}

// licenseProduct licenses another registered party to operate a product.
func (x *exec) licenseProduct(m *LicenseProduct) error {
	p, err := x.holderProduct(m.Product, "license")
	if err != nil {
		return err
	}
	if _, err := x.recipient(m.To, "a licence to product "+p.ID); err != nil {
		return err
	}
	if slices.Contains(p.Licensees, m.To) {
		return refuse(CodeAlreadyLicensed, "party %s is already licensed to operate product %s", m.To, p.ID)
	}
	p.Licensees = append(p.Licensees, m.To)
	x.productEvent("license_product", p, m.To)
	return save(x.s, key(prefixProduct, p.ID), p)
}
