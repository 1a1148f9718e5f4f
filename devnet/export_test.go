package devnet

// For the external tests (package devnet_test), which use devnettest and so cannot be in package
// devnet.
var (
	MemberDir      = memberDir
	MemberIdentity = memberIdentity
)

const MemberIdentityFile = memberIdentityFile
