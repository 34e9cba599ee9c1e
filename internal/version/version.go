// Package version names the build: a release version and the commit it was
// built from, set by the Makefile through -ldflags and otherwise read from
// the module's build information.
package version

import (
	"runtime/debug"
	"sync"
)

// Set at link time: go build -ldflags "-X github.com/ledgerd/ledger/internal/version.Version=v1 -X ...Commit=abc".
var (
	Version = ""
	Commit  = ""
)

var resolve = sync.OnceValues(func() (string, string) {
	v, c := Version, Commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	if len(c) > 12 {
		c = c[:12]
	}
	return v, c
})

// Get returns the version and the commit ("dev" and "unknown" when the build did not say).
func Get() (version, commit string) { return resolve() }

// String is the one-line form printed by --version: "VERSION (commit COMMIT)".
func String() string {
	v, c := resolve()
	return v + " (commit " + c + ")"
}
