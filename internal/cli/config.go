package cli

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"
)

// ConfigFile is the optional configuration file in a data directory.
const ConfigFile = "ledger.conf"

// notInConfig are flags that make no sense in a data directory's config file.
var notInConfig = []string{"datadir", "help", "version"}

// ApplyConfig sets the flags of fs that were not given on the command line
// from the TOML file at path, whose keys are the long flag names
// (`mine-to = "lrt1..."`, `peer = ["/ip4/...", ...]`, `threads = 2`). A
// missing file is no error; an unknown key or a value the flag refuses is,
// naming the key. It returns whether the file existed.
func ApplyConfig(fs *pflag.FlagSet, path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	var values map[string]any
	if _, err := toml.Decode(string(data), &values); err != nil {
		return true, fmt.Errorf("%s: %v", path, oneLine(err))
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		f := fs.Lookup(key)
		if f == nil || slices.Contains(notInConfig, key) {
			return true, fmt.Errorf("%s: unknown key %q (keys are the long flags of `node run` without the dashes, e.g. mine-to; datadir cannot be set there)", path, key)
		}
		if f.Changed {
			continue // the command line wins
		}
		items, isList := values[key].([]any)
		if !isList {
			items = []any{values[key]}
		}
		for _, v := range items {
			switch v.(type) {
			case string, int64, bool, float64:
			default:
				return true, fmt.Errorf("%s: key %q: want a string, number, boolean or a list of them", path, key)
			}
			if err := fs.Set(key, fmt.Sprint(v)); err != nil {
				return true, fmt.Errorf("%s: key %q: %v", path, key, err)
			}
		}
	}
	return true, nil
}
