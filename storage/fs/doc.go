// Package fs is the embedded storage driver: each object is a file under a root directory, at
// the path its key names.
//
//	b, err := fs.Open("/var/lib/dxp/storage") // created 0700 if missing
//	if err != nil { ... }
//	defer b.Close()
//	d, err := storage.PutBytes(ctx, b, data)
//
// Put writes a temporary file (".dxp-tmp-<random>") in the object's directory, syncs it,
// renames it over the key's path and syncs the directory, so a reader or a crash sees either
// the previous object or the whole new one. Move is a rename. List skips temporary files a
// crash left behind; keys whose last segment starts with ".dxp-tmp-" are refused.
//
// # Security
//
// Files are created 0600 and directories 0700: objects include key shares. Beyond the checks
// of storage.ValidKey, every access goes through an os.Root, so neither a key nor a symlink
// planted under the root can reach a file outside it.
//
// Because an object is a file, a key cannot be both an object and a prefix of another key's
// directory ("a" and "a/b"): the second Put fails. DXP's own key layout never does this.
package fs
