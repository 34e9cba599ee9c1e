package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func flags() (*pflag.FlagSet, *string, *int, *bool, *[]string) {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	mineTo := fs.String("mine-to", "", "")
	threads := fs.Int("threads", 0, "")
	mine := fs.Bool("mine", false, "")
	peers := fs.StringArray("peer", nil, "")
	fs.String("datadir", "", "")
	return fs, mineTo, threads, mine, peers
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ConfigFile)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestApplyConfig(t *testing.T) {
	path := writeConf(t, "mine = true\nmine-to = \"lrt1abc\"\nthreads = 2\npeer = [\"/ip4/127.0.0.1/tcp/1/p2p/a\", \"/ip4/127.0.0.1/tcp/2/p2p/b\"]\n")
	fs, mineTo, threads, mine, peers := flags()
	if err := fs.Parse([]string{"--threads", "3"}); err != nil {
		t.Fatal(err)
	}
	found, err := ApplyConfig(fs, path)
	if err != nil || !found {
		t.Fatalf("apply: found %v err %v", found, err)
	}
	if !*mine || *mineTo != "lrt1abc" || len(*peers) != 2 || (*peers)[1] != "/ip4/127.0.0.1/tcp/2/p2p/b" {
		t.Fatalf("config not applied: mine %v mine-to %q peers %v", *mine, *mineTo, *peers)
	}
	if *threads != 3 {
		t.Fatalf("threads %d: the command line's 3 must win over the file's 2", *threads)
	}
}

func TestApplyConfigErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"min-to = \"x\"\n", `unknown key "min-to"`},
		{"datadir = \"/x\"\n", `unknown key "datadir"`},
		{"threads = \"many\"\n", `key "threads"`},
		{"threads = = 2\n", ConfigFile},
		{"[section]\nx = 1\n", `key "section"`},
	} {
		fs, _, _, _, _ := flags()
		_, err := ApplyConfig(fs, writeConf(t, c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one naming %s", c.text, err, c.want)
		}
	}
	fs, _, _, _, _ := flags()
	if found, err := ApplyConfig(fs, filepath.Join(t.TempDir(), ConfigFile)); found || err != nil {
		t.Fatalf("missing file: found %v err %v", found, err)
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Setenv(HomeEnv, "")
	t.Setenv("HOME", "/home/u")
	if d, err := DefaultDataDir("regtest"); err != nil || d != "/home/u/.ledger/regtest" {
		t.Fatalf("default %q %v", d, err)
	}
	t.Setenv(HomeEnv, "/srv/ledger")
	if d, _ := DataDirOr("", "testnet"); d != "/srv/ledger/testnet" {
		t.Fatalf("LEDGER_HOME: %q", d)
	}
	if d, _ := DataDirOr("/x", "testnet"); d != "/x" {
		t.Fatalf("explicit: %q", d)
	}
}

func TestParseLevel(t *testing.T) {
	if _, err := ParseLevel("verbose"); err == nil || !strings.Contains(err.Error(), "debug, info, warn or error") {
		t.Fatalf("verbose: %v", err)
	}
	if lv, err := ParseLevel("WARN"); err != nil || lv.String() != "WARN" {
		t.Fatalf("WARN: %v %v", lv, err)
	}
}

// FuzzApplyConfig: any file content is applied or refused with an error naming the file, never a panic.
func FuzzApplyConfig(f *testing.F) {
	f.Add("mine = true\nthreads = 2\npeer = [\"a\", \"b\"]\n")
	f.Add("threads = [1, [2]]\n")
	f.Add("[x]\ny = 1\n")
	f.Add("mine-to = 3.5\n")
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(t.TempDir(), ConfigFile)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		fs, _, _, _, _ := flags()
		if _, err := ApplyConfig(fs, path); err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}
