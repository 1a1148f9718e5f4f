// Package devnet sets up and runs DXP development networks on one machine: a devnet (one
// validator, the committee and storage in one process), a localnet (several validators, each a
// process of its own, with the committee members inside the first ones), committee members run
// as processes of their own, the insecure chunk- and input-circuit setups they share through a cache, and the
// demo that tells the whole DXP story on one.
//
// It imports marketplace (homes, keys, sessions and the committee's view of the chain,
// marketplace.MemberBoard), rights (genesis), rights/node (the in-process node), rights/client,
// mpc (the members), zk (the setup) and storage; cmd and internal/bench import it, and
// marketplace never does. Its test harness is devnet/devnettest.
//
// A devnet:
//
//	dn, err := devnet.Start(ctx, devnet.Config{Home: dir}) // first start: keys, setup, genesis (Slots: 0 = DefaultSlots, insecure)
//	err = dn.WaitReady(ctx)                                // the committee's key ceremony, over the chain and storage
//	defer dn.Stop()
//	s, err := marketplace.Open(ctx, dir) // every participant then works through a marketplace.Session
//
// With Config.ExternalMembers the devnet writes a member home per member (HOME/committee/member-K)
// and leaves each member to its own process:
//
//	err := devnet.RunMember(ctx, devnet.MemberOptions{Home: filepath.Join(dir, "committee", "member-1")})
//
// A localnet is set up once, then each validator runs from its own home (cmd supervises them as
// child processes):
//
//	ln, err := devnet.InitLocalnet(ctx, devnet.LocalnetConfig{Home: dir, Validators: 4})
//	v, err := devnet.StartValidator(ctx, devnet.ValidatorConfig{Home: devnet.ValidatorHome(dir, 1)})
//
// and the demo starts a devnet in a home of its own and runs every flow on generated data:
//
//	rep, err := devnet.Demo(ctx, devnet.DemoConfig{Out: os.Stdout})
//
// # Security
//
// Development networks are not secure and say so: genesis marks them devnet, and their chunk
// and input circuits' proving keys come from a single-party setup (InsecureChunkSetup,
// InsecureInputSetup; input circuits are registered for a ring below mpc.SecureSlots, and at the
// secure ring when Config.SecureInputs asks (`dxp devnet start --input-proofs`): the input
// circuits with the histogram column side for the devnet's widths, and one frequency-table
// circuit of width 32, so publish proves that every ciphertext encrypts its committed values and
// that each column's frequency table is their histogram) whose toxic waste
// whoever ran it could keep; with a setup cache (the user's cache directory, reused across
// devnets) anyone who can read the cache could forge listing proofs. The audit report flags such
// circuits. Their admission is open (rights.AdmissionOpen, in genesis and `dxp status`): anyone
// registers itself as owner or buyer with the opening credit, and listings pay no proof fee.
// Keys a devnet makes for itself (the regulator's, the members' identities) are written 0600 in
// its home, and members' key shares stay in their own directories (mpc's state).
//
// Their ring is INSECURE by default: Config.Slots (`--slots`) fixes in genesis how many values a
// ciphertext holds, the ring degree N of the committee's BGV parameters, and its default,
// DefaultSlots = 2048, keeps the moduli of the secure 16384-slot ring (mpc.SecureSlots) over an
// eighth of the ring, which leaves the encryption breakable. It buys speed, measured on 2 cores
// shared with other work: the key ceremony of a 3-member devnet takes 2.2 to 4.3 s at 2048 slots
// against 7 to 32 s at 16384 (10 s at 4096; 1024 is no faster, its blocks dominate), and a w = 32
// input proof of one 2048-value ciphertext 4.9 s (140,140 constraints; its insecure setup 45 s,
// cached) against 15.3 s at 16384. The histogram circuits cost more to set up: measured at 2048
// slots with the machine loaded by other work (load 7 to 14 on 2 cores), the input-histogram
// circuit 127 s at w = 32 (83 MB proving key, the size of the plain w = 64 input key) and 349 s at
// w = 64 (100 MB), the frequency-table circuit 146 s (73 MB, the plain w = 32 size); at 1024
// slots 83 s and 52 s. So the demo registers only the widths its schema needs (32): two input
// setups, as before tables were proven. The demo (two owners, 1500 and 1000 rows) fits one 2048-slot
// ciphertext per column; before input proofs it ran in 16 s at 2048 slots (peak 0.5 GB) and
// 19 s at 16384 (1.7 GB), its setup cached. The genesis log, `dxp status` and the audit report label
// such a ring INSECURE; `dxp bench compute` asks for 16384. Every party (members in process or
// in their own, owners, buyers) derives its parameters from genesis (marketplace.ChainParams).
package devnet
