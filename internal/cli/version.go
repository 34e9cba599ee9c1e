package cli

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/internal/version"
)

// SetVersion gives root a --version flag printing one line: "NAME VERSION (commit COMMIT)".
func SetVersion(root *cobra.Command, name string) {
	root.Version = version.String()
	root.SetVersionTemplate(name + " {{.Version}}\n")
}

// ParseLevel reads a log level name, listing the valid ones when it is not one.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q: use debug, info, warn or error", s)
}
